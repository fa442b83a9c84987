// Payments backend on Azure Functions Flex Consumption, deployed to one resource group.
// Everything authenticates with one user-assigned managed identity: no keys, no connection strings with secrets,
// no secrets in parameters or outputs.
targetScope = 'resourceGroup'

@description('Short name of the environment (dev, prod, ...); part of every resource name. azd sets it from AZURE_ENV_NAME.')
@minLength(1)
@maxLength(16)
param environmentName string

@description('Azure region; Flex Consumption must be available there (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('Memory of each instance, in MB (Flex Consumption: 512, 2048 or 4096).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on the number of instances: a cost ceiling as much as a scale limit.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Jwt:Issuer - the exact "iss" claim of accepted tokens, e.g. https://login.microsoftonline.com/<tenant-id>/v2.0.')
@minLength(1)
param jwtIssuer string

@description('Jwt:Audience - the exact "aud" claim of accepted tokens, e.g. the application (client) id of the API registration.')
@minLength(1)
param jwtAudience string

@description('Jwt:Authority - OpenID Connect authority whose discovery document publishes the signing keys. Set this or jwtJwksUri.')
param jwtAuthority string = ''

@description('Jwt:JwksUri - URL of the issuer\'s JSON Web Key Set, when there is no discovery document. Set this or jwtAuthority.')
param jwtJwksUri string = ''

@description('Jwt:ClockSkewSeconds - tolerated clock difference when checking exp and nbf (the app refuses more than 300).')
@minValue(0)
@maxValue(300)
param jwtClockSkewSeconds int = 30

@description('Jwt:AllowedAlgorithms - asymmetric algorithms accepted, separated by spaces (HMAC and none are always refused).')
param jwtAllowedAlgorithms string = 'RS256 PS256 ES256'

@description('Jwt:KeyRefreshInterval - how often the issuer\'s signing keys are fetched again (hh:mm:ss).')
param jwtKeyRefreshInterval string = '01:00:00'

@description('Jwt:UnknownKeyRefreshInterval - at most one extra key fetch per interval when a token names an unknown key (hh:mm:ss).')
param jwtUnknownKeyRefreshInterval string = '00:00:30'

@description('Idempotency:LockSeconds - how long an in-progress attempt holds its key before a retry may take it over.')
@minValue(1)
@maxValue(3600)
param idempotencyLockSeconds int = 30

@description('Idempotency:RetentionHours - how long a stored outcome is replayed to retries.')
@minValue(1)
@maxValue(720)
param idempotencyRetentionHours int = 24

@description('Idempotency:WaitForInFlightMs - how long a duplicate request waits for the first attempt (0: answer 409 at once).')
@minValue(0)
@maxValue(60000)
param idempotencyWaitForInFlightMs int = 0

@description('Idempotency:MaxRequestBodyBytes - larger bodies are refused (413) before a key is claimed.')
@minValue(1)
@maxValue(16777216)
param idempotencyMaxRequestBodyBytes int = 65536

@description('Idempotency:MaxStoredResponseBytes - larger responses are returned but not stored (the key is released).')
@minValue(0)
@maxValue(786432)
param idempotencyMaxStoredResponseBytes int = 262144

@description('Idempotency:ReaperBatchSize - expired records deleted per reaper run at most.')
@minValue(1)
@maxValue(100000)
param idempotencyReaperBatchSize int = 1000

@description('Payments:SweepAfterSeconds - a payment pending this long after its last enqueue is enqueued again.')
@minValue(5)
@maxValue(86400)
param paymentsSweepAfterSeconds int = 60

@description('Payments:SweepBatchSize - payments enqueued again per sweep at most.')
@minValue(1)
@maxValue(10000)
param paymentsSweepBatchSize int = 500

@description('Payments:SweepSchedule - six-field CRON for the pending-payment sweeper.')
param paymentsSweepSchedule string = '0 */1 * * * *'

@description('Idempotency:ReaperSchedule - six-field CRON for deleting expired idempotency records.')
param idempotencyReaperSchedule string = '0 */15 * * * *'

@description('Storage:IdempotencyTable')
param idempotencyTableName string = 'idempotency'

@description('Storage:PaymentsTable')
param paymentsTableName string = 'payments'

@description('Storage:CustomersTable')
param customersTableName string = 'customers'

@description('Storage:LedgerTable')
param ledgerTableName string = 'ledger'

@description('Storage:DeadLettersTable: payment messages the app cannot read, parked by the app itself.')
param deadLettersTableName string = 'deadletters'

@description('Storage:PaymentsQueue; the host moves messages that keep failing to "<name>-poison".')
param paymentsQueueName string = 'payments'

@description('Tags applied to every resource.')
param tags object = {}

@description('True (default): storage refuses internet traffic and the app reaches it through private endpoints in its own virtual network. Set false only for a throw-away deployment.')
param privateNetworking bool = true

var suffix = uniqueString(subscription().id, resourceGroup().id, environmentName)
var allTags = union(tags, { 'azd-env-name': environmentName })
var paymentsConnectionName = 'PaymentsStorage'
var deploymentContainerName = 'app-package'
// Names are known before the deployment starts, so What-If can predict the resources that use them.
var storageAccountName = 'st${suffix}'
var appInsightsName = 'appi-${environmentName}-${suffix}'
// One list each, passed to the storage module (which creates them) and to the role assignments (scoped to them).
var tableNames = [
  idempotencyTableName
  paymentsTableName
  customersTableName
  ledgerTableName
  deadLettersTableName
]
var queueNames = [
  paymentsQueueName
  '${paymentsQueueName}-poison'
]
// The Functions host's own containers (leases and timer status, secrets).
var hostContainerNames = [
  'azure-webjobs-hosts'
  'azure-webjobs-secrets'
]

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-${environmentName}-${suffix}'
  location: location
  tags: allTags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: allTags
    workspaceName: 'log-${environmentName}-${suffix}'
    appInsightsName: appInsightsName
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: allTags
    storageAccountName: storageAccountName
    deploymentContainerName: deploymentContainerName
    privateNetworking: privateNetworking
    hostContainerNames: hostContainerNames
    tableNames: tableNames
    queueNames: queueNames
  }
}

module network 'modules/network.bicep' = if (privateNetworking) {
  name: 'network'
  params: {
    location: location
    tags: allTags
    vnetName: 'vnet-${environmentName}-${suffix}'
    storageAccountName: storageAccountName
  }
  dependsOn: [
    storage
  ]
}

module roleAssignments 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  params: {
    storageAccountName: storageAccountName
    tableNames: tableNames
    queueNames: queueNames
    hostContainerNames: hostContainerNames
    deploymentContainerName: deploymentContainerName
    appInsightsName: appInsightsName
    // Only known at run time, yet the assignment names must include it: guid(scope, principal, role).
    #disable-next-line what-if-short-circuiting
    principalId: identity.properties.principalId
  }
  dependsOn: [
    storage
    monitoring
  ]
}

// Identity-based connections: the host and the app read '<name>__<service>ServiceUri' with the identity's client id.
var hostStorageSettings = {
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobServiceUri
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueServiceUri
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableServiceUri
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  // The host's diagnostic events go to a table per month (AzureFunctionsDiagnosticEvents<yyyyMM>) that it lists,
  // creates and deletes itself: that needs a table role on the account, which the identity does not have.
  AzureWebJobsFeatureFlags: 'DisableDiagnosticEventLogging'
}

var paymentsStorageSettings = {
  '${paymentsConnectionName}__tableServiceUri': storage.outputs.tableServiceUri
  '${paymentsConnectionName}__queueServiceUri': storage.outputs.queueServiceUri
  '${paymentsConnectionName}__credential': 'managedidentity'
  '${paymentsConnectionName}__clientId': identity.properties.clientId
  Storage__IdempotencyTable: idempotencyTableName
  Storage__PaymentsTable: paymentsTableName
  Storage__CustomersTable: customersTableName
  Storage__LedgerTable: ledgerTableName
  Storage__DeadLettersTable: deadLettersTableName
  Storage__PaymentsQueue: paymentsQueueName
  // The template creates every table and queue, so the app skips its own create-if-missing calls at start.
  Storage__CreateIfMissing: 'false'
  Payments__SweepAfterSeconds: string(paymentsSweepAfterSeconds)
  Payments__SweepBatchSize: string(paymentsSweepBatchSize)
  Payments__SweepSchedule: paymentsSweepSchedule
}

var telemetrySettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  // Local auth is off on the component: telemetry is sent with the identity's Microsoft Entra token.
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
}

// Only the key source that is set is written: the app refuses contradictory sources, and an empty one is noise.
var jwtSettings = union(
  {
    Jwt__Issuer: jwtIssuer
    Jwt__Audience: jwtAudience
    Jwt__ClockSkewSeconds: string(jwtClockSkewSeconds)
    Jwt__AllowedAlgorithms: jwtAllowedAlgorithms
    Jwt__KeyRefreshInterval: jwtKeyRefreshInterval
    Jwt__UnknownKeyRefreshInterval: jwtUnknownKeyRefreshInterval
  },
  empty(jwtAuthority) ? {} : { Jwt__Authority: jwtAuthority },
  empty(jwtJwksUri) ? {} : { Jwt__JwksUri: jwtJwksUri }
)

var idempotencySettings = {
  Idempotency__LockSeconds: string(idempotencyLockSeconds)
  Idempotency__RetentionHours: string(idempotencyRetentionHours)
  Idempotency__WaitForInFlightMs: string(idempotencyWaitForInFlightMs)
  Idempotency__MaxRequestBodyBytes: string(idempotencyMaxRequestBodyBytes)
  Idempotency__MaxStoredResponseBytes: string(idempotencyMaxStoredResponseBytes)
  Idempotency__ReaperBatchSize: string(idempotencyReaperBatchSize)
  Idempotency__ReaperSchedule: idempotencyReaperSchedule
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    location: location
    tags: allTags
    planName: 'plan-${environmentName}-${suffix}'
    functionAppName: 'func-${environmentName}-${suffix}'
    identityId: identity.id
    deploymentContainerUri: storage.outputs.deploymentContainerUri
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    virtualNetworkSubnetId: privateNetworking ? network!.outputs.appSubnetId : ''
    appSettings: union(
      hostStorageSettings,
      paymentsStorageSettings,
      telemetrySettings,
      jwtSettings,
      idempotencySettings,
      {
        // The host buffers a request body before the app sees it: refuse anything larger than the app accepts.
        FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string(idempotencyMaxRequestBodyBytes)
      }
    )
  }
  // The host reaches storage with the identity as soon as it starts: the roles must exist first.
  dependsOn: [
    roleAssignments
  ]
}

output functionAppName string = functionApp.outputs.functionAppName
output functionAppUrl string = functionApp.outputs.defaultUrl
output identityClientId string = identity.properties.clientId
