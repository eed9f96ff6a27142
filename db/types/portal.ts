import type { InboxOrderTable, InboxTable, OutboxSequenceTable, OutboxTable } from "./messaging.js";

/** The internet zone's database, as the portal's role sees it: schema `portal` only. */
export interface PortalDatabase {
  "portal.outbox": OutboxTable;
  "portal.outbox_sequence": OutboxSequenceTable;
  "portal.inbox": InboxTable;
  "portal.inbox_order": InboxOrderTable;
}
