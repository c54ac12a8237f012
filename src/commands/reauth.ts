// `erp-sync reauth <company>`: after a person re-authorised the company in Concur, store its new refresh token and
// take the company out of needs_reauth. The token is read from a file or standard input, never from arguments.
import { readFileSync } from 'node:fs';
import { openRuntime } from '../runtime.js';
import { registerSecret } from '../log.js';
import { replaceRefreshToken } from '../concur/tokens.js';
import type { CommandContext } from './context.js';

export async function runReauth(ctx: CommandContext, companyId: string, opts: { tokenFile?: string; stdin?: () => string; err?: NodeJS.WritableStream }): Promise<number> {
  const err = opts.err ?? process.stderr;
  const company = ctx.config.companies.find((c) => c.id === companyId);
  if (!company) {
    err.write(`erp-sync: no company "${companyId}" in the configuration\n`);
    return 2;
  }
  const text = opts.tokenFile ? readFileSync(opts.tokenFile, 'utf8') : (opts.stdin ?? (() => readFileSync(0, 'utf8')))();
  const token = text.split(/\r?\n/)[0]?.trim() ?? '';
  registerSecret(token);
  if (!token) {
    err.write('erp-sync: no refresh token given (first line of --refresh-token-file, or of standard input)\n');
    return 2;
  }
  const rt = await openRuntime(ctx.config, ctx.logger);
  try {
    const auth = company.concur.auth;
    const geolocation = auth?.kind === 'oauth' ? (auth.geolocation ?? company.concur.baseUrl ?? null) : null;
    await rt.ds.transaction((m) => replaceRefreshToken(m, companyId, token, geolocation));
    ctx.logger.info('company re-authorised: new refresh token stored', { company: companyId });
    return 0;
  } finally {
    await rt.close();
  }
}
