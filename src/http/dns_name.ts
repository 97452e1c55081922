// Whether a host is a DNS name a certificate can carry as a dNSName subject alternative name.

const DNS_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
const DNS_NAME = new RegExp(
  `^(?=.{1,253}$)(\\*\\.)?${DNS_LABEL}(\\.${DNS_LABEL})*\\.?$`,
  "i",
);

/** Whether `host` is a DNS name a certificate can carry (a leading `*.` wildcard allowed). */
export function isDnsName(host: string): boolean {
  return DNS_NAME.test(host);
}
