namespace ReliableMessaging.Api.Tests;

/// <summary>A request body whose length is not known before it is sent (so it goes chunked, without Content-Length).</summary>
public sealed class UnknownLengthContent(byte[] bytes) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
        stream.WriteAsync(bytes).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
