// Values come from the environment, so the same file serves `az deployment group create` and `azd up`
// (azd passes its environment's values: `azd env set JWT_ISSUER ...`). JWT_ISSUER and JWT_AUDIENCE have no
// default on purpose: a deployment without them would start an app that rejects every token.
// Set JWT_AUTHORITY (OpenID Connect discovery) or JWT_JWKS_URI, not both.
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'payments')
param jwtIssuer = readEnvironmentVariable('JWT_ISSUER')
param jwtAudience = readEnvironmentVariable('JWT_AUDIENCE')
param jwtAuthority = readEnvironmentVariable('JWT_AUTHORITY', '')
param jwtJwksUri = readEnvironmentVariable('JWT_JWKS_URI', '')
param maximumInstanceCount = int(readEnvironmentVariable('MAXIMUM_INSTANCE_COUNT', '40'))
