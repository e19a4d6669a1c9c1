// fortiflex-scaler: Flex Consumption Function App, identity-based storage, Key Vault, monitoring and the
// least set of role assignments the code needs. Deploy with `azd up` or `az deployment sub create`.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Environment name; seeds the unique suffix of every resource name and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for all resources. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group name; empty = rg-<environmentName>.')
param resourceGroupName string = ''

@description('Function App name; empty = func-<unique suffix>.')
param functionAppName string = ''

@description('Force dry run whatever the policy says (SCALER_DRY_RUN). Defaults to true so a first deployment only plans, logs and audits until you have reviewed what it would do; set false to let it act.')
param scalerDryRun bool = true

@description('Reconcile timer, NCRONTAB with seconds, evaluated in UTC (SCALER_SCHEDULE).')
param scalerSchedule string = '0 */5 * * * *'

@description('Policy file path inside the deployed package (SCALER_POLICY_PATH).')
param scalerPolicyPath string = 'scaler.policy.yaml'

@description('FortiFlex v2 API base URL (FORTIFLEX_API_URL).')
param fortiflexApiUrl string = 'https://support.fortinet.com/ES/api/fortiflex/v2/'

@description('FortiFlex OAuth token URL (FORTIFLEX_AUTH_URL).')
param fortiflexAuthUrl string = 'https://customerapiauth.fortinet.com/api/v1/oauth/token/'

@description('Key Vault secret holding the FortiFlex API username (FORTIFLEX_USERNAME_SECRET).')
param fortiflexUsernameSecretName string = 'fortiflex-api-username'

@description('Key Vault secret holding the FortiFlex API password (FORTIFLEX_PASSWORD_SECRET).')
param fortiflexPasswordSecretName string = 'fortiflex-api-password'

@description('Key Vault secret holding the HMAC key for generic scale webhooks (WEBHOOK_HMAC_SECRET); empty = generic signed webhooks off, unless webhookHmacKey is given (then webhook-hmac-key).')
param webhookHmacSecretName string = ''

@secure()
@description('Optional: FortiFlex API username to store in Key Vault at deployment. Prefer `az keyvault secret set` (docs/deploy.md).')
param fortiflexApiUsername string = ''

@secure()
@description('Optional: FortiFlex API password to store in Key Vault at deployment. Prefer `az keyvault secret set` (docs/deploy.md).')
param fortiflexApiPassword string = ''

@secure()
@description('Optional: HMAC key for generic scale webhooks to store in Key Vault at deployment.')
param webhookHmacKey string = ''

@description('Optional: resource ID of a FortiGate VM scale set the app may read (Reader on that scale set only); empty = none.')
param scaleSetResourceId string = ''

@description('Licence delivery: resource IDs of the FortiGate scale sets the pools name (same subscription). The app gets Reader on each, VM and NIC read on their resource groups, and (with deliveryEvents) their resource-group events.')
param deliveryScaleSetIds array = []

@description('Licence delivery: subscribe the scaleSetEvents function to the scale sets\' resource-group events. The function must exist, so set this on a second provisioning after the first code deployment.')
param deliveryEvents bool = false

@description('Key Vault secret holding the FortiGates\' REST API key (the pools\' fortigate.apiKeySecret).')
param fortigateApiKeySecretName string = 'fortigate-api-key'

@secure()
@description('Optional: FortiGate REST API key to store in Key Vault at deployment. Prefer `az keyvault secret set` (docs/bootstrap.md).')
param fortigateApiKey string = ''

@description('Optional VNet integration (to reach FortiGate private IPs): resource ID of an existing subnet delegated to Microsoft.App/environments; empty = none, unless appVnetName is set.')
param appSubnetId string = ''

@description('Optional VNet integration: name of an existing VNet in appVnetResourceGroup where a delegated subnet is created (appSubnetName, appSubnetPrefix); empty = none.')
param appVnetName string = ''

@description('Resource group of appVnetName.')
param appVnetResourceGroup string = ''

@description('Name of the subnet created in appVnetName (no underscores).')
param appSubnetName string = 'snet-fortiflex-scaler'

@description('Prefix of the subnet created in appVnetName, e.g. 10.0.250.0/26 (up to 40 addresses per app).')
param appSubnetPrefix string = ''

@description('Optional: object ID of a user or group granted Key Vault Secrets Officer on the vault, to write the FortiFlex credentials; empty = none.')
param secretsOfficerPrincipalId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
@description('Principal type of secretsOfficerPrincipalId.')
param secretsOfficerPrincipalType string = 'User'

@minValue(40)
@maxValue(1000)
@description('Flex Consumption scale-out ceiling. The app is light (one timer, webhooks, a queue), so the plan minimum is plenty.')
param maximumInstanceCount int = 40

@description('Key Vault purge protection. Off by default so `azd down --purge` can remove the vault; turn on for production.')
param keyVaultPurgeProtection bool = false

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var appName = !empty(functionAppName) ? functionAppName : '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${take(appName, 32)}-${take(resourceToken, 7)}'
// A placeholder ID keeps the scope expression valid when no scale set is given (the module is skipped then).
var scaleSetIdParts = split(
  !empty(scaleSetResourceId)
    ? scaleSetResourceId
    : '/subscriptions/${subscription().subscriptionId}/resourceGroups/none/providers/Microsoft.Compute/virtualMachineScaleSets/none',
  '/'
)
// Resource groups of the delivery scale sets, each once (union keeps one of each value).
var deliveryGroups = union(
  map(deliveryScaleSetIds, id => toLower(join(take(split(id, '/'), 5), '/'))),
  []
)
var hmacSecretName = !empty(webhookHmacSecretName)
  ? webhookHmacSecretName
  : (!empty(webhookHmacKey) ? 'webhook-hmac-key' : '')

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The app's only identity: storage, Key Vault, App Insights ingestion and (optionally) the scale set.
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'plan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
  }
}

// State (tables, queue, lease blobs), the Functions host's own storage and the deployment package.
// Shared keys are off: everything authenticates with the managed identity.
module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    kind: 'StorageV2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        {
          name: deploymentContainerName
        }
      ]
    }
  }
}

module vault 'br/public:avm/res/key-vault/vault:0.13.3' = {
  name: 'vault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: keyVaultPurgeProtection
    publicNetworkAccess: 'Enabled'
  }
}

module secrets './modules/secrets.bicep' = {
  name: 'secrets'
  scope: rg
  params: {
    vaultName: vault.outputs.name
    usernameSecretName: fortiflexUsernameSecretName
    username: fortiflexApiUsername
    passwordSecretName: fortiflexPasswordSecretName
    password: fortiflexApiPassword
    hmacSecretName: hmacSecretName
    hmacKey: webhookHmacKey
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

// Local (instrumentation key) auth is off: the app sends telemetry with its identity.
module appInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'appInsights'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

module rbac './modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    vaultName: vault.outputs.name
    appInsightsName: appInsights.outputs.name
    appPrincipalId: identity.outputs.principalId
    secretsOfficerPrincipalId: secretsOfficerPrincipalId
    secretsOfficerPrincipalType: secretsOfficerPrincipalType
  }
}

// Reader on one scale set, in whatever resource group (same subscription) it lives in.
module scaleSetReader './modules/scale-set-reader.bicep' = if (!empty(scaleSetResourceId)) {
  name: 'scaleSetReader'
  scope: resourceGroup(scaleSetIdParts[2], scaleSetIdParts[4])
  params: {
    scaleSetName: last(scaleSetIdParts)
    principalId: identity.outputs.principalId
  }
}

module fortigateSecret './modules/fortigate-secret.bicep' = {
  name: 'fortigateSecret'
  scope: rg
  params: {
    vaultName: vault.outputs.name
    secretName: fortigateApiKeySecretName
    apiKey: fortigateApiKey
  }
}

// Reader on each delivery scale set (the same module and role assignment name as the single one above).
module deliveryScaleSetReaders './modules/scale-set-reader.bicep' = [
  for id in deliveryScaleSetIds: {
    name: 'reader-${uniqueString(id)}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      scaleSetName: last(split(id, '/'))
      principalId: identity.outputs.principalId
    }
  }
]

module instanceReaderRole './modules/instance-reader-role.bicep' = if (!empty(deliveryScaleSetIds)) {
  name: 'instanceReaderRole'
}

module appSubnet './modules/app-subnet.bicep' = if (!empty(appVnetName)) {
  name: 'appSubnet'
  scope: resourceGroup(!empty(appVnetResourceGroup) ? appVnetResourceGroup : rg.name)
  params: {
    vnetName: appVnetName
    subnetName: appSubnetName
    addressPrefix: appSubnetPrefix
  }
}

module api './modules/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: appName
    location: location
    tags: tags
    planId: plan.outputs.resourceId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    appInsightsConnectionString: appInsights.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
    virtualNetworkSubnetId: !empty(appVnetName) ? appSubnet!.outputs.subnetId : appSubnetId
    appSettings: union(
      {
        FORTIFLEX_API_URL: fortiflexApiUrl
        FORTIFLEX_AUTH_URL: fortiflexAuthUrl
        KEY_VAULT_URL: vault.outputs.uri
        FORTIFLEX_USERNAME_SECRET: fortiflexUsernameSecretName
        FORTIFLEX_PASSWORD_SECRET: fortiflexPasswordSecretName
        SCALER_POLICY_PATH: scalerPolicyPath
        SCALER_DRY_RUN: scalerDryRun ? 'true' : 'false'
        SCALER_SCHEDULE: scalerSchedule
      },
      empty(hmacSecretName)
        ? {}
        : {
            WEBHOOK_HMAC_SECRET: hmacSecretName
          }
    )
  }
  // The host needs its storage roles before its first start.
  dependsOn: [
    rbac
  ]
}

// Instance read and (optionally) resource-group events for licence delivery, per scale-set resource group.
module delivery './modules/delivery.bicep' = [
  for group in deliveryGroups: {
    name: 'delivery-${uniqueString(group)}'
    scope: resourceGroup(split(group, '/')[2], split(group, '/')[4])
    params: {
      principalId: identity.outputs.principalId
      instanceReaderRoleId: instanceReaderRole!.outputs.roleId
      functionAppId: api.outputs.resourceId
      subscribeEvents: deliveryEvents
    }
  }
]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_URL string = api.outputs.url
output SERVICE_API_URI string = api.outputs.url
output AZURE_KEY_VAULT_NAME string = vault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = vault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_NAME string = appInsights.outputs.name
