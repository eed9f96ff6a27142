/**
 * Every change of the register, one command each (issue 3, item 2). Each takes a CommandContext
 * (database, 個人番号 keys, actor, today) and its input, and returns a CommandResult.
 */
export { type BirthInput, birth, type DeathInput, death } from "./birth-death.js";
export {
  type ChangeCancellationInput,
  changeCancellation,
  requestChangeCancellation,
} from "./cancellation.js";
export {
  type Corrections,
  type ExOfficioCorrectionInput,
  type ExOfficioEntryInput,
  type ExOfficioRemovalInput,
  exOfficioCorrection,
  exOfficioEntry,
  exOfficioRemoval,
  requestExOfficioCorrection,
  requestExOfficioEntry,
  requestExOfficioRemoval,
} from "./ex-officio.js";
export { type HouseholdChangeInput, type HouseholdChangeSpec, householdChange } from "./household-change.js";
export {
  type ImmigrationInput,
  immigration,
  type MoveInInput,
  type MoveOutCertificate,
  moveIn,
  type SpecialMoveInInput,
  specialMoveIn,
} from "./move-in.js";
export {
  type EmigrationInput,
  emigration,
  type MoveOutCancelInput,
  type MoveOutConfirmInput,
  type MoveOutInput,
  moveOut,
  moveOutCancel,
  moveOutConfirm,
} from "./move-out.js";
export { type RelocationHousehold, type RelocationInput, relocation } from "./relocation.js";
export type {
  ApprovedCommandInput,
  CommandActor,
  CommandContext,
  CommandInputBase,
  CommandResult,
  SystemActor,
} from "./runner.js";
export type { HouseholdTarget, IncomingPerson, NewHeadInput } from "./shared.js";
