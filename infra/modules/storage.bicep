// The one storage account: the Functions host's own state, the deployment package, and the app's tables and
// queues. Reachable only with Microsoft Entra ID tokens (shared keys and SAS signed with them are disabled).

@description('Azure region of the resources.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Storage account name: 3 to 24 lower-case letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Blob container that holds the deployment package of the Flex Consumption app.')
param deploymentContainerName string

@description('Blob containers the Functions host keeps its state in (leases, secrets), created here because the identity\'s roles are scoped to them and cannot create containers.')
param hostContainerNames string[]

@description('True: the account refuses internet traffic (publicNetworkAccess Disabled, default action Deny) and is reached through private endpoints. False only for a throw-away deployment.')
param privateNetworking bool

@description('Tables the app uses.')
param tableNames string[]

@description('Queues the app uses (including the poison queue the host writes to).')
param queueNames string[]

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource hostContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = [
  for containerName in hostContainerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-01-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = [
  for tableName in tableNames: {
    parent: tableService
    name: tableName
  }
]

output blobServiceUri string = storage.properties.primaryEndpoints.blob
output queueServiceUri string = storage.properties.primaryEndpoints.queue
output tableServiceUri string = storage.properties.primaryEndpoints.table
output deploymentContainerUri string = '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'
