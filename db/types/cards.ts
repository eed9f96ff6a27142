/** Tables of the back office's cards work (issue 6); filled by that work. */
// biome-ignore lint/suspicious/noEmptyInterface: a slot the cards work fills with its tables
export interface CardTables {}
