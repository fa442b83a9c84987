using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Payments.Functions.Http;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>
/// requests.http at the repository root is documentation that must keep working: every request in it is sent, top to
/// bottom, to a running app (with the file's own variables, named-request references and {{$guid}}), and together they
/// cover every route and method the app serves.
/// </summary>
public sealed partial class RequestsFileTests(PaymentsAppFixture fixture) : IClassFixture<PaymentsAppFixture>
{
    [Fact]
    public async Task RequestsFile_WhenEveryRequestIsSentInOrder_ShouldSucceedAndCoverEveryRoute()
    {
        var requests = Parse(await File.ReadAllTextAsync(RequestsFilePath()));
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["baseUrl"] = new Uri(fixture.App.Client.BaseAddress!, "api").ToString().TrimEnd('/'),
            ["token"] = fixture.Settings.Token(),
        };
        var answers = new Dictionary<string, (JsonElement? Body, HttpResponseMessage Response)>(StringComparer.Ordinal);
        var covered = new HashSet<string>(StringComparer.Ordinal);

        foreach (var request in requests)
        {
            string Resolve(string text) => Substitute(text, variables, answers);
            var url = new Uri(Resolve(request.Url));
            using var message = new HttpRequestMessage(new HttpMethod(request.Method), url);
            string? contentType = null;
            foreach (var (name, value) in request.Headers)
            {
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    contentType = Resolve(value);
                }
                else
                {
                    Assert.True(message.Headers.TryAddWithoutValidation(name, Resolve(value)), $"{request.Method} {request.Url}: header {name}");
                }
            }

            if (request.Body.Length > 0)
            {
                message.Content = new StringContent(Resolve(request.Body), Encoding.UTF8);
                message.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType ?? "application/json");
            }

            var response = await fixture.App.Client.SendAsync(message);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode < 400, $"{request.Method} {url} answered {(int)response.StatusCode}: {body}");
            if (request.Name is { } name2)
            {
                answers[name2] = (body.Length > 0 ? JsonDocument.Parse(body).RootElement.Clone() : null, response);
            }
            else
            {
                response.Dispose();
            }

            covered.Add($"{request.Method} {ApiRoutes.Match(url.AbsolutePath["/api/".Length..])}");
        }

        foreach (var answer in answers.Values)
        {
            answer.Response.Dispose();
        }

        var everyRoute = ApiRoutes.Allowed.SelectMany(route => route.Value.Select(method => $"{method} {route.Key}")).Order(StringComparer.Ordinal);
        Assert.Equal(everyRoute, covered.Order(StringComparer.Ordinal));
    }

    private static string Substitute(string text, Dictionary<string, string> variables, Dictionary<string, (JsonElement? Body, HttpResponseMessage Response)> answers) =>
        Placeholder().Replace(text, match =>
        {
            var expression = match.Groups[1].Value.Trim();
            if (expression == "$guid")
            {
                return Guid.NewGuid().ToString();
            }

            if (expression.StartsWith("$randomInt", StringComparison.Ordinal))
            {
                var bounds = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return Random.Shared.Next(int.Parse(bounds[1], CultureInfo.InvariantCulture), int.Parse(bounds[2], CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture);
            }

            if (variables.TryGetValue(expression, out var value))
            {
                return value;
            }

            // {{name.response.body.$.property}} and {{name.response.headers.Header}}
            var parts = expression.Split('.');
            Assert.True(parts.Length >= 4 && answers.ContainsKey(parts[0]), $"requests.http refers to '{expression}', which no earlier request answers");
            var (body, response) = answers[parts[0]];
            return parts[2] switch
            {
                "body" => body!.Value.GetProperty(parts[4]).GetString()!,
                "headers" => response.Headers.TryGetValues(parts[3], out var values) ? values.First() : throw new InvalidOperationException($"No {parts[3]} header in {parts[0]}."),
                _ => throw new InvalidOperationException($"Unsupported reference '{expression}'."),
            };
        });

    /// <summary>The request blocks of a .http file: "###" separates them; "# @name x" names one; "@var = value" defines a file variable.</summary>
    private static List<HttpFileRequest> Parse(string text)
    {
        var requests = new List<HttpFileRequest>();
        var blocks = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n###");
        for (var b = 0; b < blocks.Length; b++)
        {
            string? name = null;
            // After the first block, the first line is the rest of the "###" separator line: a title, not a request.
            var lines = blocks[b].Split('\n').Skip(b == 0 ? 0 : 1).ToList();
            var index = 0;
            string? requestLine = null;
            for (; index < lines.Count; index++)
            {
                var line = lines[index].Trim();
                if (line.StartsWith("# @name ", StringComparison.Ordinal))
                {
                    name = line["# @name ".Length..].Trim();
                }
                else if (line.Length > 0 && !line.StartsWith('#') && !line.StartsWith("//", StringComparison.Ordinal) && !line.StartsWith('@'))
                {
                    requestLine = line;
                    index++;
                    break;
                }
            }

            if (requestLine is null)
            {
                continue;
            }

            var headers = new List<(string, string)>();
            for (; index < lines.Count && lines[index].Trim().Length > 0; index++)
            {
                var colon = lines[index].IndexOf(':', StringComparison.Ordinal);
                headers.Add((lines[index][..colon].Trim(), lines[index][(colon + 1)..].Trim()));
            }

            var body = string.Join('\n', lines.Skip(index)).Trim();
            var space = requestLine.IndexOf(' ', StringComparison.Ordinal);
            requests.Add(new HttpFileRequest(name, requestLine[..space], requestLine[(space + 1)..].Trim(), headers, body));
        }

        Assert.NotEmpty(requests);
        return requests;
    }

    private static string RequestsFilePath() => RepositoryPaths.Combine("requests.http");

    [GeneratedRegex(@"\{\{([^}]+)\}\}")]
    private static partial Regex Placeholder();

    private sealed record HttpFileRequest(string? Name, string Method, string Url, List<(string Name, string Value)> Headers, string Body);
}
