using Microsoft.Extensions.Options;

namespace ReliableMessaging.Api.Security;

/// <summary>Fails the start when bearer validation would be misconfigured, with the reason.</summary>
internal sealed class ApiAuthOptionsValidator : IValidateOptions<ApiAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiAuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var section = ApiAuthOptions.SectionName;
        if (options.UsesAuthority == options.UsesLocalKey)
        {
            return ValidateOptionsResult.Fail(
                $"Configure exactly one way to check tokens: {section}:Authority (an OpenID Connect provider) or a local key ({section}:SigningKey or {section}:SigningKeyFile).");
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            return ValidateOptionsResult.Fail($"{section}:Audience is required.");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5))
        {
            return ValidateOptionsResult.Fail($"{section}:ClockSkew must be between 0 and 5 minutes.");
        }

        if (options.UsesAuthority)
        {
            return Uri.TryCreate(options.Authority, UriKind.Absolute, out _)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{section}:Authority must be an absolute URL.");
        }

        if (string.IsNullOrWhiteSpace(options.Issuer))
        {
            return ValidateOptionsResult.Fail($"{section}:Issuer is required with a local signing key.");
        }

        byte[] key;
        try
        {
            key = options.ReadSigningKey();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return ValidateOptionsResult.Fail($"The signing key could not be read: {exception.Message}");
        }

        return key.Length >= ApiAuthOptions.MinimumKeyBytes
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"The signing key has {key.Length} bytes; HMAC-SHA256 needs at least {ApiAuthOptions.MinimumKeyBytes}.");
    }
}
