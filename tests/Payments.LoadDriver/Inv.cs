using System.Globalization;
using System.Text.Json;

namespace Payments.LoadDriver;

internal static class Inv
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string S(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    public static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);
}
