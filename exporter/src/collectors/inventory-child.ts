/** The child process of childInventory (inventory.ts): one reading as JSON on stdout, then it exits. */
import { siInventory } from './inventory';

siInventory().then(
  (inventory) => {
    // systeminformation may leave timers behind; the reading is all this process is for.
    process.stdout.write(JSON.stringify(inventory), () => process.exit(0));
  },
  (err: unknown) => {
    process.stderr.write(`inventory: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
