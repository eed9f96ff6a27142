import type { Migration } from "kysely";
import * as m20261126T0430 from "./2026-11-26T0430_zones-and-messaging.js";
import * as m20261126T0500 from "./2026-11-26T0500_register.js";
import * as m20261126T0501 from "./2026-11-26T0501_audit-and-approval.js";
import * as m20261126T0510 from "./2026-11-26T0510_portal.js";
import * as m20261126T0520 from "./2026-11-26T0520_search-indexes.js";
import * as m20261126T0540 from "./2026-11-26T0540_pipeline.js";
import * as m20261126T0555 from "./2026-11-26T0555_search-address-index.js";
import * as m20261126T0600 from "./2026-11-26T0600_pipeline-completion.js";
import * as m20261126T0610 from "./2026-11-26T0610_certificates.js";
import * as m20261126T0620 from "./2026-11-26T0620_cards.js";
import * as m20261126T0630 from "./2026-11-26T0630_staff-sessions.js";
import * as m20261126T0640 from "./2026-11-26T0640_counter-changes.js";
import * as m20261126T0650 from "./2026-11-26T0650_register-performance.js";

/**
 * Every migration, by its dated name. A static list (rather than a folder scan) so that
 * the migrator works the same under tsx, Vitest and a bundled build.
 */
export const migrations: Record<string, Migration> = {
  "2026-11-26T0430_zones-and-messaging": m20261126T0430,
  "2026-11-26T0500_register": m20261126T0500,
  "2026-11-26T0501_audit-and-approval": m20261126T0501,
  "2026-11-26T0510_portal": m20261126T0510,
  "2026-11-26T0520_search-indexes": m20261126T0520,
  "2026-11-26T0540_pipeline": m20261126T0540,
  "2026-11-26T0555_search-address-index": m20261126T0555,
  "2026-11-26T0600_pipeline-completion": m20261126T0600,
  "2026-11-26T0610_certificates": m20261126T0610,
  "2026-11-26T0620_cards": m20261126T0620,
  "2026-11-26T0630_staff-sessions": m20261126T0630,
  "2026-11-26T0640_counter-changes": m20261126T0640,
  "2026-11-26T0650_register-performance": m20261126T0650,
};
