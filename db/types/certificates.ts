/** Tables of the back office's certificates work (issue 6); filled by that work. */
// biome-ignore lint/suspicious/noEmptyInterface: a slot the certificates work fills with its tables
export interface CertificateTables {}
