/**
 * Who may start, cancel and save. Grafana's proxy routes (reqRole: Editor) and the exporter
 * enforce it anyway; the panel only says so up front instead of letting a viewer hit a 403.
 * Grafana's proxy checks the role in the current organization only, so the panel does too: a
 * Grafana server admin whose org role is Viewer is refused there, and so is treated as a Viewer.
 */
export type RunPermission = { allowed: true } | { allowed: false; reason: string };

export interface GrafanaUserLike {
  orgRole?: string;
  /** Deliberately not consulted: the proxy's reqRole check ignores it (see above). */
  isGrafanaAdmin?: boolean;
}

const RANK: Record<string, number> = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };

export function runPermission(user: GrafanaUserLike | undefined): RunPermission {
  const role = user?.orgRole;
  // An unknown or missing role is not "below Editor": let the server decide.
  if (!role || !(role in RANK) || RANK[role] >= RANK.Editor) {
    return { allowed: true };
  }
  return {
    allowed: false,
    reason: `Your role in this organization is ${role}. Running, cancelling and saving templates needs the Editor or Admin role.`,
  };
}
