// Secrets are not in wrangler.toml, so `wrangler types` cannot see them: declared here.
interface SecretsEnv {
  /** Bearer token that may create and list accounts (`wrangler secret put OPERATOR_TOKEN`). */
  OPERATOR_TOKEN?: string;
}
interface Env extends SecretsEnv {}
declare namespace Cloudflare {
  interface Env extends SecretsEnv {}
}
