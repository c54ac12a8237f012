// Fault points for the crash-safety suite: ERP_SYNC_FAULT=<name> kills the process with SIGKILL when reached.
// Off unless that variable is set; names are listed in ARCHITECTURE.md.

const armed = process.env.ERP_SYNC_FAULT ?? '';

export function faultPoint(name: string): void {
  if (armed && armed === name) process.kill(process.pid, 'SIGKILL');
}
