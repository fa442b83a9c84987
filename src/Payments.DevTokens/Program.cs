using System.Globalization;
using Payments.DevTokens;

// Mints a development access token for the local Functions app. The token goes to stdout (so it can be captured:
// TOKEN=$(dotnet run --project src/Payments.DevTokens -- --sub merchant-1)); everything else goes to stderr.
const string Usage = """
    Usage: dotnet run --project src/Payments.DevTokens -- --sub <subject> [--scope "payments:read payments:write"] [--minutes 60]
                                                          [--issuer https://payments.local/dev] [--audience api://payments] [--keys-dir <repo>/.devkeys]
    On first use generates an RSA key in .devkeys/ (git-ignored) and writes its public JWKS to .devkeys/jwks.json,
    which local.settings.sample.json names in Jwt:SigningKeysPath.
    """;

var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
for (var i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        await Console.Error.WriteLineAsync($"Unexpected argument '{args[i]}'.{Environment.NewLine}{Usage}");
        return 2;
    }

    options[args[i][2..]] = args[++i];
}

if (!options.TryGetValue("sub", out var subject) || string.IsNullOrWhiteSpace(subject))
{
    await Console.Error.WriteLineAsync("--sub is required: the subject (merchant id) the token is for." + Environment.NewLine + Usage);
    return 2;
}

var minutes = options.TryGetValue("minutes", out var m) ? int.Parse(m, CultureInfo.InvariantCulture) : 60;
if (minutes is < 1 or > 24 * 60)
{
    await Console.Error.WriteLineAsync("--minutes must be between 1 and 1440.");
    return 2;
}

var keysDirectory = options.TryGetValue("keys-dir", out var dir)
    ? Path.GetFullPath(dir)
    : Path.Combine(DevTokenIssuer.FindRepositoryRoot(Directory.GetCurrentDirectory()), ".devkeys");

using var issuer = DevTokenIssuer.LoadOrCreate(keysDirectory);
if (issuer.Created)
{
    await Console.Error.WriteLineAsync($"Generated a development signing key in {keysDirectory} (kid {issuer.KeyId}).");
}

await Console.Error.WriteLineAsync($"Public keys: {issuer.JwksPath}");
var token = issuer.Mint(
    subject,
    options.GetValueOrDefault("scope", "payments:read payments:write"),
    TimeSpan.FromMinutes(minutes),
    options.GetValueOrDefault("issuer", DevTokenIssuer.DefaultIssuer),
    options.GetValueOrDefault("audience", DevTokenIssuer.DefaultAudience));
Console.WriteLine(token);
return 0;
