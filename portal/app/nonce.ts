import { createContext, useContext } from "react";

// The CSP nonce reaches the document through this context: entry.server provides it,
// root hands it to Remix's own inline scripts. In the browser it is empty, as intended.
export const NonceContext = createContext<string | undefined>(undefined);

export function useNonce(): string | undefined {
  return useContext(NonceContext);
}
