// oidc-provider ships no types: the parts the tests and the README example use.
declare module "oidc-provider" {
  import type { OidcProviderClass } from "@mcp-proxy/test-utils";

  const Provider: OidcProviderClass;
  export default Provider;
  export const errors: { InvalidTarget: new (description?: string) => Error };
}
