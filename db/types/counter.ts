/** Tables of the back office's counter work (issue 6); filled by that work. */
// biome-ignore lint/suspicious/noEmptyInterface: a slot the counter work fills with its tables
export interface CounterTables {}
