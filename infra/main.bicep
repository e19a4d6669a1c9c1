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

@description('Optional: resource IDs of the FortiGate VM scale sets of the policy\'s pools (one per pool that names a scaleSet). The app gets Reader on each, VM and network-interface read on their resource groups (Flexible instances, private IPs for licence delivery) and, with deliveryEvents, their resource-group events. From azd: SCALE_SET_RESOURCE_IDS as a JSON array.')
param scaleSetResourceIds array = []

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
@description('Principal type of secretsOfficerPrincipalId (ServicePrincipal for a deployment identity). From azd: SECRETS_OFFICER_PRINCIPAL_TYPE.')
param secretsOfficerPrincipalType string = 'User'

@description('Optional: object ID of a user or group that reads the audit with `fortiflex-scaler audit` (Storage Table Data Reader on the state storage account; shared keys are off, so a person needs a data-plane role); empty = none.')
param auditReaderPrincipalId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
@description('Principal type of auditReaderPrincipalId.')
param auditReaderPrincipalType string = 'User'

@description('E-mail addresses that receive the alerts (action group). From azd: ALERT_EMAIL_ADDRESSES as a JSON array.')
param alertEmailAddresses array = []

@secure()
@description('Optional: webhook URL (Teams Workflows, a ticketing system) that also receives the alerts, in the common alert schema. From azd: ALERT_WEBHOOK_URL.')
param alertWebhookUrl string = ''

@description('Evaluate the alert rules; false deploys them disabled.')
param alertsEnabled bool = true

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
// Resource groups of the pools' scale sets, each once (union keeps one of each value).
var scaleSetGroups = union(
  map(scaleSetResourceIds, id => toLower(join(take(split(id, '/'), 5), '/'))),
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
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    // Giving the module a blobServices object replaces its defaults, so soft delete is stated here.
    blobServices: {
      deleteRetentionPolicyEnabled: true
      deleteRetentionPolicyDays: 7
      containerDeleteRetentionPolicyEnabled: true
      containerDeleteRetentionPolicyDays: 7
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
    // The module defaults these to true; nothing here deploys VMs or templates with the vault's secrets.
    enableVaultForDeployment: false
    enableVaultForTemplateDeployment: false
    enableVaultForDiskEncryption: false
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
    // The module defaults to keeping client IP addresses; mask them.
    disableIpMasking: false
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
    auditReaderPrincipalId: auditReaderPrincipalId
    auditReaderPrincipalType: auditReaderPrincipalType
  }
}

// Reader on each pool's scale set, in whatever subscription and resource group it lives in.
module scaleSetReaders './modules/scale-set-reader.bicep' = [
  for (scaleSetId, i) in scaleSetResourceIds: {
    name: 'scaleSetReader-${i}'
    scope: resourceGroup(split(scaleSetId, '/')[2], split(scaleSetId, '/')[4])
    params: {
      scaleSetName: last(split(scaleSetId, '/'))
      principalId: identity.outputs.principalId
    }
  }
]

module fortigateSecret './modules/fortigate-secret.bicep' = {
  name: 'fortigateSecret'
  scope: rg
  params: {
    vaultName: vault.outputs.name
    secretName: fortigateApiKeySecretName
    apiKey: fortigateApiKey
  }
}

module instanceReaderRole './modules/instance-reader-role.bicep' = if (!empty(scaleSetResourceIds)) {
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
    // The site module merges these into the app's current settings, so a setting left out would keep its
    // old value: optional ones are always written, empty when unset (the app treats empty as unset).
    appSettings: {
      FORTIFLEX_API_URL: fortiflexApiUrl
      FORTIFLEX_AUTH_URL: fortiflexAuthUrl
      KEY_VAULT_URL: vault.outputs.uri
      FORTIFLEX_USERNAME_SECRET: fortiflexUsernameSecretName
      FORTIFLEX_PASSWORD_SECRET: fortiflexPasswordSecretName
      SCALER_POLICY_PATH: scalerPolicyPath
      SCALER_DRY_RUN: scalerDryRun ? 'true' : 'false'
      SCALER_SCHEDULE: scalerSchedule
      WEBHOOK_HMAC_SECRET: hmacSecretName
    }
  }
  // The host needs its storage roles before its first start.
  dependsOn: [
    rbac
  ]
}

module monitoring './modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsId: appInsights.outputs.resourceId
    baseName: resourceToken
    emailAddresses: alertEmailAddresses
    webhookUrl: alertWebhookUrl
    alertsEnabled: alertsEnabled
  }
}

// Instance read and (optionally) resource-group events for licence delivery, per scale-set resource group.
module delivery './modules/delivery.bicep' = [
  for group in scaleSetGroups: {
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
output AZURE_ACTION_GROUP_ID string = monitoring.outputs.actionGroupId
output AZURE_WORKBOOK_ID string = monitoring.outputs.workbookId
