/** What the call path needs to know about its account, read fresh for each callback (no secrets). */
import type { IntegrationConfig } from "../schemas/voice";
import type { Provider } from "../voice/providers/types";
import type { ConversionSetup } from "./conversion-settings";
import type { StoredPool } from "./registry";

export interface DeskAccount {
  id: string;
  /** The account's voice provider (a pool may name another). */
  provider: Provider;
  fallback: string | null;
  integrations: IntegrationConfig;
  /** Ad platforms calls are uploaded to, and which calls qualify (no secrets). */
  conversions: ConversionSetup;
  /** The pool a tracking number of the account routed to at a time (removed numbers route for lease + grace). */
  ownerAt(number: string, at: number): string | null;
  /** A pool's config, also a deleted pool's while its numbers still route. */
  pool(id: string): StoredPool | null;
  /** Push a pool's config to its objects (one that was never configured answers nothing). */
  sync(poolId: string): Promise<void>;
}
