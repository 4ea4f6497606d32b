import React from 'react';
import { Button, type ButtonProps } from '@grafana/ui';
import type { RunPermission } from '../../utils/permissions';

type Props = ButtonProps & {
  permission: RunPermission;
};

/**
 * A button for an action viewers may not take. When not allowed it stays focusable and shows why
 * in a tooltip (Grafana's Button renders it aria-disabled rather than disabled for that reason).
 */
export const GuardedButton = React.forwardRef<HTMLButtonElement, Props>(function GuardedButton({ permission, disabled, tooltip, ...rest }, ref) {
  const props = (permission.allowed ? { ...rest, disabled, tooltip } : { ...rest, disabled: true, tooltip: permission.reason }) as ButtonProps;
  return <Button {...props} ref={ref} />;
});
