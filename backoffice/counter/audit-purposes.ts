/** Why an auditor reads the log (recorded with each reading); shared by the page and the server. */
export const AUDIT_PURPOSES = {
  periodic: "定期監査",
  disclosure: "本人からの開示請求への対応",
  incident: "事故・不正利用の調査",
} as const;
export type AuditPurpose = keyof typeof AUDIT_PURPOSES;

export function isAuditPurpose(v: unknown): v is AuditPurpose {
  return typeof v === "string" && v in AUDIT_PURPOSES;
}
