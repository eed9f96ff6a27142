import type { ColumnType, Generated } from "kysely";
import type { ApprovalTable, AuditLogTable } from "./audit.js";
import type { CardTables } from "./cards.js";
import type { CertificateTables } from "./certificates.js";
import type { CounterTables } from "./counter.js";
import type { InboxOrderTable, InboxTable, OutboxSequenceTable, OutboxTable } from "./messaging.js";
import type { PipelineTables } from "./pipeline.js";
import type { RegisterTables } from "./register.js";
import type { StaffTables } from "./staff.js";

export interface MunicipalityTable {
  lg_code: string;
  prefecture: string;
  name: string;
  towns: ColumnType<{ name: string; chomeMax: number }[], string, string>;
  hosted: boolean;
  created_at: Generated<Date>;
}

/** The closed zone's database, as the back office's role sees it: register, audit, messaging. */
export interface BackofficeDatabase
  extends RegisterTables,
    PipelineTables,
    CertificateTables,
    CardTables,
    StaffTables,
    CounterTables {
  "register.municipality": MunicipalityTable;
  "register.approval": ApprovalTable;
  "audit.log": AuditLogTable;
  "messaging.outbox": OutboxTable;
  "messaging.outbox_sequence": OutboxSequenceTable;
  "messaging.inbox": InboxTable;
  "messaging.inbox_order": InboxOrderTable;
}
