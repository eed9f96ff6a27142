import type { PortalApplicationStatus } from "../../../db/types/portal";
import { useT } from "../i18n";

/** The status as a badge: text first (colour only supports it). */
export function StatusBadge({ status }: { status: PortalApplicationStatus }) {
  const { t } = useT();
  return <span className={`status status--${status}`}>{t(`status.${status}`)}</span>;
}
