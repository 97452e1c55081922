// Azure clouds: the ARM endpoint, Entra authority host and ARM token scope that belong together.

/** Name of a supported Azure cloud. */
export type AzureCloudName = "public" | "china" | "usgov";

/** The endpoints of one Azure cloud. */
export interface AzureCloud {
  name: AzureCloudName;
  /** ARM base URL (origin only). */
  armEndpoint: string;
  /** Microsoft Entra authority host. */
  authorityHost: string;
  /** OAuth scope of ARM tokens: `{arm}/.default`. */
  armScope: string;
}

/** The clouds the operator knows, by name (reference B.8). */
export const AZURE_CLOUDS: Readonly<Record<AzureCloudName, AzureCloud>> = {
  public: {
    name: "public",
    armEndpoint: "https://management.azure.com",
    authorityHost: "https://login.microsoftonline.com",
    armScope: "https://management.azure.com/.default",
  },
  china: {
    name: "china",
    armEndpoint: "https://management.chinacloudapi.cn",
    authorityHost: "https://login.chinacloudapi.cn",
    armScope: "https://management.chinacloudapi.cn/.default",
  },
  usgov: {
    name: "usgov",
    armEndpoint: "https://management.usgovcloudapi.net",
    authorityHost: "https://login.microsoftonline.us",
    armScope: "https://management.usgovcloudapi.net/.default",
  },
};

// Hosts with metadata hard-coded in MSAL: instance discovery works for them without a network call.
const KNOWN_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.windows.net",
  "login.microsoft.com",
  "sts.windows.net",
  "login.chinacloudapi.cn",
  "login.microsoftonline.us",
  "login.microsoftonline.de",
]);

/** Whether `authorityHost` is a Microsoft Entra host MSAL knows (no instance discovery needed). */
export function isKnownAuthorityHost(authorityHost: string): boolean {
  return KNOWN_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname);
}
