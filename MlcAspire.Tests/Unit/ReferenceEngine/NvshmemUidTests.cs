extern alias ReferenceEngine;

using System.Net;
using ReferenceEngine::MlcAspire.ReferenceEngine.Transfer;

namespace MlcAspire.Tests.Unit.ReferenceEngine;

[Trait("Category", "Unit")]
public sealed class NvshmemUidTests
{
    [Fact]
    public void Encode_ThenDecode_GivesTheRootBack()
    {
        var root = new IPEndPoint(IPAddress.Parse("10.1.200.3"), 51234);

        var uid = NvshmemUid.Encode(root);

        Assert.Equal(125, uid.Length);
        Assert.Equal(NvshmemUid.Version, uid[0]);
        Assert.Equal(root, NvshmemUid.Decode(uid));
    }

    [Fact]
    public void Decode_AForeignUid_IsRefused()
    {
        Assert.Throws<InvalidDataException>(() => NvshmemUid.Decode([NvshmemUid.Version, .. new long[124]]));
    }
}
