// Fault points for the crash-safety suite: ERP_SYNC_FAULT=<name> kills the process with SIGKILL when reached;
// ERP_SYNC_FAULT=<name>@<batch> only when reached for that batch (its Concur id). Off unless that variable is set;
// names are listed in ARCHITECTURE.md.

const armed = process.env.ERP_SYNC_FAULT ?? '';

export function faultPoint(name: string, batch?: string): void {
  if (armed && (armed === name || (batch !== undefined && armed === `${name}@${batch}`))) process.kill(process.pid, 'SIGKILL');
}
