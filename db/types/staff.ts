/** Tables of the back office's staff work (issue 6); filled by that work. */
// biome-ignore lint/suspicious/noEmptyInterface: a slot the staff work fills with its tables
export interface StaffTables {}
