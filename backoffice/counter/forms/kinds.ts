import type { CommandName } from "../../register/authorization.js";

/**
 * The counter's change forms (issue 6, item 6): one page per kind under /changes/<slug>. Pure
 * data, shared by the index page, the routes and the approval queue.
 */

export const CHANGE_FORM_KINDS = [
  "moveIn",
  "birth",
  "death",
  "householdChange",
  "emigration",
  "immigration",
  "exOfficioEntry",
  "exOfficioRemoval",
  "exOfficioCorrection",
  "changeCancellation",
] as const satisfies readonly CommandName[];
export type ChangeFormKind = (typeof CHANGE_FORM_KINDS)[number];

export interface ChangeFormInfo {
  kind: ChangeFormKind;
  /** The page: /changes/<slug>. */
  slug: string;
  title: string;
  description: string;
  /** Filed as a request; runs when a different supervisor approves (authorization.ts). */
  needsApproval: boolean;
}

export const CHANGE_FORMS: Record<ChangeFormKind, ChangeFormInfo> = {
  moveIn: {
    kind: "moveIn",
    slug: "move-in",
    title: "転入届（転出証明書）",
    description: "他の市区町村から、紙の転出証明書を持って転入した方を記載します。",
    needsApproval: false,
  },
  birth: {
    kind: "birth",
    slug: "birth",
    title: "出生届",
    description: "生まれた子を、親の世帯（または新しい世帯）に記載します。",
    needsApproval: false,
  },
  death: {
    kind: "death",
    slug: "death",
    title: "死亡届",
    description: "亡くなった方の住民票を消除します。世帯主の場合は新しい世帯主を指定します。",
    needsApproval: false,
  },
  householdChange: {
    kind: "householdChange",
    slug: "household",
    title: "世帯変更届",
    description: "世帯主の変更、世帯分離、世帯合併、続柄の変更を行います。",
    needsApproval: false,
  },
  emigration: {
    kind: "emigration",
    slug: "emigration",
    title: "国外転出届",
    description: "国外へ転出する方の住民票を消除します。",
    needsApproval: false,
  },
  immigration: {
    kind: "immigration",
    slug: "immigration",
    title: "国外からの転入届",
    description: "国外から転入した方を記載します。",
    needsApproval: false,
  },
  exOfficioEntry: {
    kind: "exOfficioEntry",
    slug: "ex-officio-entry",
    title: "職権記載",
    description: "実態調査などに基づき、職権で住民票を記載します（係長の承認が必要です）。",
    needsApproval: true,
  },
  exOfficioRemoval: {
    kind: "exOfficioRemoval",
    slug: "ex-officio-removal",
    title: "職権消除",
    description: "居住の実態がない方などの住民票を、職権で消除します（係長の承認が必要です）。",
    needsApproval: true,
  },
  exOfficioCorrection: {
    kind: "exOfficioCorrection",
    slug: "ex-officio-correction",
    title: "職権修正",
    description: "誤って記載された事項を、職権で修正します（係長の承認が必要です）。",
    needsApproval: true,
  },
  changeCancellation: {
    kind: "changeCancellation",
    slug: "cancellation",
    title: "異動取消",
    description: "誤って入力した異動を取り消します。最新の異動から取り消せます（係長の承認が必要です）。",
    needsApproval: true,
  },
};

export function formBySlug(slug: string): ChangeFormInfo | undefined {
  return Object.values(CHANGE_FORMS).find((f) => f.slug === slug);
}

/** 続柄 commonly used at the counter (a free text is accepted too). */
export const RELATIONSHIP_SUGGESTIONS = [
  "世帯主",
  "妻",
  "夫",
  "子",
  "父",
  "母",
  "兄",
  "姉",
  "弟",
  "妹",
  "祖父",
  "祖母",
  "孫",
  "子の妻",
  "子の夫",
  "妻（未届）",
  "夫（未届）",
  "同居人",
] as const;

export const HOUSEHOLD_CHANGE_TYPES = {
  changeHead: "世帯主の変更",
  split: "世帯分離",
  merge: "世帯合併",
  composition: "続柄の変更",
} as const;
export type HouseholdChangeType = keyof typeof HOUSEHOLD_CHANGE_TYPES;
