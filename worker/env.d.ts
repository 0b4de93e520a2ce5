// Secrets are not in wrangler.toml, so `wrangler types` cannot see them: declared here.
interface SecretsEnv {
  /** Bearer token that may create and list accounts (`wrangler secret put OPERATOR_TOKEN`). */
  OPERATOR_TOKEN?: string;
  /**
   * Keys that encrypt provider credentials at rest (`wrangler secret put SECRETS_KEY`):
   * `id:base64(32 bytes)[,id:base64…]`, the first one encrypts, all of them decrypt (rotation).
   */
  SECRETS_KEY?: string;
}
interface Env extends SecretsEnv {}
declare namespace Cloudflare {
  interface Env extends SecretsEnv {}
}
