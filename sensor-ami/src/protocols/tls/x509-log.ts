// One x509.log record per certificate, with Zeek's field names (base/files/x509/main.zeek).
// Unset fields are omitted, as in Zeek's JSON output.

import type { LogRecord } from "../types.js";
import type { X509Info } from "./x509.js";

export function x509Record(
  cert: X509Info,
  ts: number,
  isHostCertificate: boolean,
  isClient: boolean,
): LogRecord {
  const record: LogRecord = {
    ts,
    fingerprint: cert.fingerprint,
    "certificate.version": cert.version,
    "certificate.serial": cert.serial,
    "certificate.subject": cert.subject,
    "certificate.issuer": cert.issuer,
    "certificate.not_valid_before": cert.notValidBefore,
    "certificate.not_valid_after": cert.notValidAfter,
    "certificate.key_alg": cert.keyAlg,
    "certificate.sig_alg": cert.sigAlg,
  };
  if (cert.keyType !== undefined) record["certificate.key_type"] = cert.keyType;
  if (cert.keyLength !== undefined) record["certificate.key_length"] = cert.keyLength;
  if (cert.exponent !== undefined) record["certificate.exponent"] = cert.exponent;
  if (cert.curve !== undefined) record["certificate.curve"] = cert.curve;
  if (cert.sanDns.length > 0) record["san.dns"] = cert.sanDns;
  if (cert.sanUri.length > 0) record["san.uri"] = cert.sanUri;
  if (cert.sanEmail.length > 0) record["san.email"] = cert.sanEmail;
  if (cert.sanIp.length > 0) record["san.ip"] = cert.sanIp;
  if (cert.basicConstraintsCa !== undefined) record["basic_constraints.ca"] = cert.basicConstraintsCa;
  if (cert.basicConstraintsPathLen !== undefined)
    record["basic_constraints.path_len"] = cert.basicConstraintsPathLen;
  record.host_cert = isHostCertificate;
  record.client_cert = isClient;
  return record;
}
