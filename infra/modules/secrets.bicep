// Optional seeding of Key Vault secrets at deployment time. Each secret is written only when its value is
// given; empty values leave existing secrets alone (set them with `az keyvault secret set` instead).
@description('Key Vault name (same resource group).')
param vaultName string

param usernameSecretName string

@secure()
param username string

param passwordSecretName string

@secure()
param password string

@description('Secret name for the generic-webhook HMAC key; empty = none.')
param hmacSecretName string

@secure()
param hmacKey string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource usernameSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(username)) {
  parent: vault
  name: usernameSecretName
  properties: {
    value: username
    contentType: 'text/plain'
  }
}

resource passwordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(password)) {
  parent: vault
  name: passwordSecretName
  properties: {
    value: password
    contentType: 'text/plain'
  }
}

resource hmacSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(hmacKey) && !empty(hmacSecretName)) {
  parent: vault
  name: !empty(hmacSecretName) ? hmacSecretName : 'unused'
  properties: {
    value: hmacKey
    contentType: 'text/plain'
  }
}
