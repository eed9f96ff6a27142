import type { ColumnType, Generated } from "kysely";

/** register.certificate_issuance (migration 2026-11-26T0610_certificates): one row per certificate issued. */
export interface CertificateIssuanceTable {
  id: Generated<string>;
  certificate_number: string;
  lg_code: string;
  kind: "residentCertificate" | "removedRecordCertificate";
  form: "household" | "individual";
  subject_resident_id: string;
  member_ids: string[];
  items: ColumnType<Record<string, boolean>, string, never>;
  requester_kind: "self" | "household" | "thirdParty";
  requester_name: string | null;
  reason: string | null;
  fee_yen: number;
  staff_id: string;
  staff_role: string;
  issued_on: string;
  issued_at: Generated<Date>;
  content_digest: Buffer;
}

/** Tables of the back office's certificates work (issue 6). */
export interface CertificateTables {
  "register.certificate_issuance": CertificateIssuanceTable;
}
