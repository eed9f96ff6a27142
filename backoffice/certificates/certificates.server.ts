/**
 * The back office's glue for certificates: the context for a logged-in staff member (with the
 * verification-code key, loaded once per services), and the PDF response.
 */
import type { StaffSession } from "../auth/session.server.js";
import type { BackofficeServices } from "../services.server.js";
import { loadCertificateCodeKey } from "./code.js";
import type { CertificateContext, IssuedCertificate } from "./issue.js";

const keys = new WeakMap<BackofficeServices, Buffer>();

/**
 * The verification-code key: CERTIFICATE_CODE_KEY from the environment, else the development key
 * in DATA_DIR/secrets (code.ts).
 */
export function certificateCodeKey(services: BackofficeServices): Buffer {
  let key = keys.get(services);
  if (!key) {
    key = loadCertificateCodeKey({
      DATA_DIR: services.env.DATA_DIR,
      CERTIFICATE_CODE_KEY: process.env.CERTIFICATE_CODE_KEY,
    });
    keys.set(services, key);
  }
  return key;
}

export function certificateContext(services: BackofficeServices, staff: StaffSession): CertificateContext {
  return {
    db: services.db,
    keys: services.keys,
    codeKey: certificateCodeKey(services),
    actor: { staffId: staff.staffId, lgCode: staff.lgCode, roles: [...staff.roles] },
    today: services.today(),
  };
}

/**
 * Content-Disposition for a download: an ASCII filename for every client, and the Japanese name
 * as filename* (RFC 5987 / RFC 6266) for those that read it.
 */
export function attachmentDisposition(asciiName: string, utf8Name?: string): string {
  const ascii = asciiName.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const star = utf8Name && utf8Name !== asciiName ? `; filename*=UTF-8''${encodeRfc5987(utf8Name)}` : "";
  return `attachment; filename="${ascii}"${star}`;
}

function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The certificate as a download: never cached, never sniffed, never framed. */
export function certificatePdfResponse(issued: IssuedCertificate): Response {
  return new Response(new Uint8Array(issued.pdf), {
    status: 200,
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": attachmentDisposition(issued.fileName, issued.fileNameJa),
      "Content-Length": String(issued.pdf.byteLength),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
