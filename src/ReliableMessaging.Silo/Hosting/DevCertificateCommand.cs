using System.Security.Cryptography.X509Certificates;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Silo.Hosting;

/// <summary>
/// <c>ReliableMessaging.Silo dev-cert FILE [PASSWORD]</c>: writes a self-signed certificate with its
/// key (PKCS#12, readable by this user only) for <see cref="ClusterTlsOptions"/>, valid for a year,
/// for server and client authentication. Development and tests only: a deployment brings its own.
/// </summary>
public static class DevCertificateCommand
{
    public const string Name = "dev-cert";

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Count is < 1 or > 2)
        {
            error.WriteLine("usage: dev-cert FILE [PASSWORD]");
            return 2;
        }

        var path = Path.GetFullPath(args[0]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var certificate = ClusterTlsOptions.CreateDevelopmentCertificate("reliable-messaging-cluster", TimeSpan.FromDays(365));
        var pfx = certificate.Export(X509ContentType.Pfx, args.Count == 2 ? args[1] : null);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // The private key is in there: this user only, from the moment the file exists.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(path, options))
        {
            file.Write(pfx);
        }

        output.WriteLine(path);
        return 0;
    }
}
