using System.Reflection;
using ReliableMessaging.Api.Accounts;
using ReliableMessaging.Silo.Hosting;

namespace ReliableMessaging.Deployment.Tests.Layering;

/// <summary>
/// The toolbox (ReliableMessaging.Tooling: processes, ports, a throwaway PostgreSQL) is for the tools and
/// tests only: nothing the silo or the front end loads may depend on it, directly or through another project.
/// </summary>
public sealed class ToolboxLayeringTests
{
    [Theory]
    [InlineData(typeof(ReliableMessagingSiloExtensions))]
    [InlineData(typeof(AccountsApi))]
    public void ServerAssembly_NeverReferencesTheToolbox(Type entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var project = entry.Assembly.GetName();
        Assert.DoesNotContain(typeof(ProcessRunner).Assembly.GetName().Name, OwnAssemblies(project).Select(a => a.Name));
    }

    [Fact]
    public void Tools_UseTheToolbox()
    {
        // The counterpart, so the check above is not vacuous: the simulator, the benchmark and the fault proxy do reference it.
        foreach (var tool in new[] { "ReliableMessaging.Atm", "ReliableMessaging.Benchmarks", "ReliableMessaging.FaultProxy" })
        {
            Assert.Contains("ReliableMessaging.Tooling", OwnAssemblies(new AssemblyName(tool)).Select(a => a.Name));
        }
    }

    /// <summary>The project's own assembly and every ReliableMessaging.* assembly it references, transitively.</summary>
    private static List<AssemblyName> OwnAssemblies(AssemblyName root)
    {
        var seen = new Dictionary<string, AssemblyName>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>([root]);
        while (pending.TryPop(out var name))
        {
            if (!seen.TryAdd(name.Name!, name))
            {
                continue;
            }

            foreach (var reference in Assembly.Load(name).GetReferencedAssemblies())
            {
                if (reference.Name!.StartsWith("ReliableMessaging.", StringComparison.Ordinal))
                {
                    pending.Push(reference);
                }
            }
        }

        return [.. seen.Values];
    }
}
