/** The SASL verifier is shared by every listener: see @tributary/core/net. */
export { CredentialStore, HASH_OF, scramCredential, toScramCredentialJson, saltedPassword, hmac, digest } from '@tributary/core/net'
export type { ScramHash, ScramMechanismName, StoredCredential } from '@tributary/core/net'
