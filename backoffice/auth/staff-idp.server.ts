import type { JWK } from "jose";
import { LoginError, OidcRelyingParty } from "../../lib/oidc-rp.js";
import type { StaffRole } from "../register/authorization.js";

export { isLoginError, LoginError, type PendingLogin } from "../../lib/oidc-rp.js";

/** Scopes of the staff realm (docs/contracts/card-idp.md): `profile` → name, lg_code, roles. */
export const STAFF_SCOPES = "openid profile";

const ROLES: readonly StaffRole[] = ["clerk", "supervisor", "auditor", "admin"];

export interface StaffLogin {
  staffId: string;
  name: string;
  lgCode: string;
  roles: StaffRole[];
  idToken: string;
}

/**
 * The back office's side of the staff realm: the generic relying party (lib/oidc-rp.ts) and the
 * staff claims read from the verified ID token. The world file's staff list is the authority on
 * roles and municipality: the token must agree with it, else the login is refused.
 */
export class StaffIdpClient extends OidcRelyingParty {
  constructor(opts: {
    issuer: string;
    clientId: string;
    redirectUri: string;
    privateJwk: JWK;
    publicJwk: JWK;
    now: () => Date;
  }) {
    super({ ...opts, scope: STAFF_SCOPES });
  }

  async completeLogin(
    callbackUrl: URL,
    pending: { state: string; nonce: string; codeVerifier: string },
    directory: readonly { id: string; lgCode: string; roles: readonly string[]; name: string }[],
  ): Promise<StaffLogin> {
    const login = await this.completeOidcLogin(callbackUrl, pending);
    const member = directory.find((s) => s.id === login.sub);
    if (!member) throw new LoginError("accountRefused", "the staff id is not in the staff list");
    const claimed = login.claims.lg_code;
    if (typeof claimed === "string" && claimed !== member.lgCode) {
      throw new LoginError("accountRefused", "the token's municipality differs from the staff list");
    }
    const roles = member.roles.filter((r): r is StaffRole => (ROLES as readonly string[]).includes(r));
    return { staffId: member.id, name: member.name, lgCode: member.lgCode, roles, idToken: login.idToken };
  }
}
