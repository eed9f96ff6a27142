import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// Counter changes (issue 6, item 6). counter.change_request: the request key of a counter form
// whose change needs a supervisor's approval (職権記載・消除・修正, 異動取消), so that a double
// submit files one approval request, and what the approver is shown: a summary of the request
// (it holds personal values, so it is sealed with AES-256-GCM under a key derived from the
// 個人番号 encryption key) that is erased once the request is approved or rejected.

const BACKOFFICE_ROLE = "juki_backoffice";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create schema counter`.execute(db);
  await sql`grant usage on schema counter to ${sql.id(BACKOFFICE_ROLE)}`.execute(db);
  await sql`
    create table counter.change_request (
      request_key text primary key,
      lg_code char(6) not null,
      command text not null,
      requested_by text not null,
      approval_id uuid unique,
      summary_cipher bytea,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index change_request_lg on counter.change_request (lg_code, created_at)`.execute(db);
  await sql`grant select, insert, update, delete on counter.change_request to ${sql.id(BACKOFFICE_ROLE)}`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop schema counter cascade`.execute(db);
}
