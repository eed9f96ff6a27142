/**
 * The optional items of a certificate as the form and the PDF name them (DOMAIN.md
 * "Certificates"). No server code here: the certificate form's page imports it.
 */
export const ITEM_LABELS = {
  householdHead: "世帯主の氏名及び続柄",
  honseki: "本籍及び筆頭者",
  residentCode: "住民票コード",
  myNumber: "個人番号",
  foreignerItems: "国籍・地域等（第30条の45の事項）",
} as const satisfies Record<string, string>;
