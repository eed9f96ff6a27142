import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code, never change once released.
//
// Certificates issued (issue 6 item 7): register.certificate_issuance logs every 住民票の写し and
// 除票の写し — who asked (requester kind, and a third party's name), for whom (resident ids),
// what was printed (items), why (reason), the fee, the staff member, and the SHA-256 digest of
// the printed content that the certificate's verification code covers. The log is append-only
// for the back office's role: it may insert and read, never update or delete.

const BACKOFFICE_ROLE = "juki_backoffice";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create sequence register.certificate_number_seq as bigint`.execute(db);
  await sql`
    create table register.certificate_issuance (
      id uuid primary key default gen_random_uuid(),
      certificate_number text not null unique,
      lg_code char(6) not null references register.municipality (lg_code),
      kind text not null,
      form text not null,
      subject_resident_id uuid not null references register.resident (id),
      member_ids uuid[] not null,
      items jsonb not null,
      requester_kind text not null,
      requester_name text,
      reason text,
      fee_yen integer not null,
      staff_id text not null,
      staff_role text not null,
      issued_on date not null,
      issued_at timestamptz not null default now(),
      content_digest bytea not null,
      constraint certificate_kind check (kind in ('residentCertificate', 'removedRecordCertificate')),
      constraint certificate_form check (form in ('household', 'individual')),
      constraint certificate_requester check (requester_kind in ('self', 'household', 'thirdParty')),
      constraint certificate_third_party_reason check (
        requester_kind <> 'thirdParty' or (reason is not null and requester_name is not null)),
      constraint certificate_members check (cardinality(member_ids) >= 1),
      constraint certificate_fee check (fee_yen >= 0),
      constraint certificate_digest check (octet_length(content_digest) = 32)
    )`.execute(db);
  await sql`create index certificate_issuance_subject on register.certificate_issuance (lg_code, subject_resident_id, issued_at)`.execute(
    db,
  );
  await sql`create index certificate_issuance_day on register.certificate_issuance (lg_code, issued_on)`.execute(
    db,
  );
  await sql`grant select, insert on register.certificate_issuance to ${sql.id(BACKOFFICE_ROLE)}`.execute(db);
  await sql`revoke update, delete, truncate on register.certificate_issuance from ${sql.id(BACKOFFICE_ROLE)}`.execute(
    db,
  );
  await sql`grant usage, select on sequence register.certificate_number_seq to ${sql.id(BACKOFFICE_ROLE)}`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table register.certificate_issuance`.execute(db);
  await sql`drop sequence register.certificate_number_seq`.execute(db);
}
