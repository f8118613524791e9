import { errors } from 'jose';
import { VerifierError, type VerifierErrorCode } from './verifier-error.js';

const CLAIM_CODES: Record<string, VerifierErrorCode> = {
  typ: 'wrong_type',
  iss: 'wrong_issuer',
  aud: 'wrong_audience',
  nbf: 'not_yet_valid',
};

function codeOf(error: unknown): VerifierErrorCode {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    // A claim that is missing or of the wrong type is a malformed token, not a failed check.
    return error.reason === 'check_failed'
      ? (CLAIM_CODES[error.claim] ?? 'malformed')
      : 'malformed';
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'wrong_algorithm';
  return 'malformed';
}

/**
 * The {@link VerifierError} for a failure of `jwtVerify`. The jose error is not kept as the
 * cause: some carry the token's claims, which do not belong in logs.
 */
export function toVerifierError(error: unknown): VerifierError {
  if (error instanceof VerifierError) return error;
  const detail = error instanceof errors.JOSEError ? error.code : 'verification failed';
  return new VerifierError(codeOf(error), { detail });
}
