import { defaultJukiNetUrl, JukiNetClient } from "../../jobs/juki-net/client.js";
import { devKeyPair } from "../../lib/secrets.js";
import type { BackofficeServices } from "../services.server.js";
import { type CardTerminal, cardTerminal } from "./card-terminal.js";
import type { NetworkLookup } from "./identity-check.js";
import { type CardManagementClient, cardManagementClient, defaultCardManagementUrl } from "./jlis-client.js";

/**
 * The outside systems the card pages talk to, made once per back office: the counter terminal
 * of the card IdP (same host as the staff realm, authenticated with the back office's client
 * key), 住基ネット (four-item look-up) and J-LIS card management. Tests put their own in.
 * CARD_IDP_URL / JUKI_NET_URL / CARD_MANAGEMENT_URL override the defaults (MOCKS_PORT + 0/1/2).
 */
export interface CardServices {
  terminal: CardTerminal;
  network: NetworkLookup;
  jlis: CardManagementClient;
}

const made = new WeakMap<BackofficeServices, CardServices>();

export function setCardServices(office: BackofficeServices, cards: CardServices): void {
  made.set(office, cards);
}

export function cardServices(office: BackofficeServices): CardServices {
  let cards = made.get(office);
  if (!cards) {
    const env: Record<string, string | undefined> = {
      ...process.env,
      MOCKS_PORT: String(office.env.MOCKS_PORT),
    };
    const idpBase = (env.CARD_IDP_URL ?? office.env.STAFF_IDP_ISSUER.replace(/\/staff\/?$/, "")).replace(
      /\/$/,
      "",
    );
    const privateJwk =
      office.env.staffIdpClientKey ??
      devKeyPair(office.env.DATA_DIR, "backoffice-oidc-client", "ES256").privateJwk;
    cards = {
      terminal: cardTerminal({ baseUrl: idpBase, privateJwk: privateJwk as JsonWebKey & { kid?: string } }),
      network: new JukiNetClient({ baseUrl: defaultJukiNetUrl(env), dataDir: office.env.DATA_DIR }),
      jlis: cardManagementClient({ baseUrl: defaultCardManagementUrl(env) }),
    };
    made.set(office, cards);
  }
  return cards;
}
