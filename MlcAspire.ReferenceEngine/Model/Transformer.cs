using System.Numerics;
using MlcAspire.ReferenceEngine.KvCache;

namespace MlcAspire.ReferenceEngine.Model;

/// <summary>
/// A decoder-only transformer: embeddings, causal multi-head attention with rotary positions, a SwiGLU MLP,
/// RMSNorm, and a tied output head.
/// </summary>
/// <remarks>
/// Every position is computed alone, by the same code in the same summation order, whatever the chunking,
/// batch, prefix-cache hit or origin of the earlier KV rows. That makes a position's KV and logits bitwise
/// identical however a prompt was split, so disaggregated output equals single-engine output exactly.
/// </remarks>
internal sealed class Transformer : IModelRunner
{
    private const float NormEpsilon = 1e-5f;

    private readonly ModelShape _shape;
    private readonly TransformerWeights _weights;
    private readonly PagedKvCache _cache;
    private readonly float[] _cos;
    private readonly float[] _sin;
    private readonly float[] _x;
    private readonly float[] _normed;
    private readonly float[] _q;
    private readonly float[] _k;
    private readonly float[] _v;
    private readonly float[] _attention;
    private readonly float[] _projected;
    private readonly float[] _gate;
    private readonly float[] _up;
    private float[] _scores = new float[256];

    public Transformer(ModelShape shape, TransformerWeights weights, PagedKvCache cache, int maxPositions)
    {
        _shape = shape;
        _weights = weights;
        _cache = cache;
        var half = shape.HeadDim / 2;
        _cos = new float[maxPositions * half];
        _sin = new float[maxPositions * half];
        for (var position = 0; position < maxPositions; position++)
        {
            for (var i = 0; i < half; i++)
            {
                var angle = position / Math.Pow(shape.RopeTheta, 2.0 * i / shape.HeadDim);
                _cos[position * half + i] = (float)Math.Cos(angle);
                _sin[position * half + i] = (float)Math.Sin(angle);
            }
        }

        var hidden = shape.HiddenSize;
        (_x, _normed, _q, _k, _v, _attention, _projected) =
            (new float[hidden], new float[hidden], new float[hidden], new float[hidden], new float[hidden], new float[hidden], new float[hidden]);
        (_gate, _up) = (new float[shape.IntermediateSize], new float[shape.IntermediateSize]);
    }

    public void Forward(IReadOnlyList<int> pages, ReadOnlySpan<int> tokens, int startPosition, Span<float> logits)
    {
        for (var i = 0; i < tokens.Length; i++)
        {
            ForwardOne(pages, tokens[i], startPosition + i);
        }

        if (!logits.IsEmpty)
        {
            RmsNorm(_x, _weights.FinalNorm, _normed);
            MatVec(_weights.Embedding, _normed, logits);
        }
    }

    public void EndStep(int prefillTokens, int decodeTokens)
    {
    }

    private void ForwardOne(IReadOnlyList<int> pages, int token, int position)
    {
        var hidden = _shape.HiddenSize;
        _weights.Embedding.AsSpan(token * hidden, hidden).CopyTo(_x);
        for (var layer = 0; layer < _weights.Layers.Length; layer++)
        {
            var w = _weights.Layers[layer];
            RmsNorm(_x, w.AttentionNorm, _normed);
            MatVec(w.Wq, _normed, _q);
            MatVec(w.Wk, _normed, _k);
            MatVec(w.Wv, _normed, _v);
            Rotate(_q, position);
            Rotate(_k, position);

            var row = _cache.Row(pages, position);
            var kvOffset = layer * 2 * hidden;
            _k.CopyTo(row.Slice(kvOffset, hidden));
            _v.CopyTo(row.Slice(kvOffset + hidden, hidden));

            Attend(pages, position, kvOffset);
            MatVec(w.Wo, _attention, _projected);
            Add(_x, _projected);

            RmsNorm(_x, w.MlpNorm, _normed);
            MatVec(w.WGate, _normed, _gate);
            MatVec(w.WUp, _normed, _up);
            for (var i = 0; i < _gate.Length; i++)
            {
                var g = _gate[i];
                _gate[i] = g / (1.0f + MathF.Exp(-g)) * _up[i];
            }

            MatVec(w.WDown, _gate, _projected);
            Add(_x, _projected);
        }
    }

    /// <summary>
    /// Causal attention of the current position over positions <c>0 … position</c>, read page by page straight from
    /// the cache's storage. Scores for all heads are taken in one pass over the rows, then values in a second.
    /// </summary>
    private void Attend(IReadOnlyList<int> pages, int position, int kvOffset)
    {
        var hidden = _shape.HiddenSize;
        var headDim = _shape.HeadDim;
        var heads = _shape.NumHeads;
        var scale = 1.0f / MathF.Sqrt(headDim);
        var data = _cache.Storage;
        var rowFloats = _cache.RowFloats;
        var count = position + 1;
        if (_scores.Length < heads * count)
        {
            _scores = new float[Math.Max(heads * count, _scores.Length * 2)];
        }

        for (var j = 0; j < count; j++)
        {
            var row = RowOffset(pages, j, rowFloats) + kvOffset;
            for (var head = 0; head < heads; head++)
            {
                _scores[head * count + j] = Dot(_q.AsSpan(head * headDim, headDim), data.AsSpan(row + head * headDim, headDim)) * scale;
            }
        }

        for (var head = 0; head < heads; head++)
        {
            var scores = _scores.AsSpan(head * count, count);
            var max = float.NegativeInfinity;
            foreach (var score in scores)
            {
                max = MathF.Max(max, score);
            }

            var sum = 0.0f;
            for (var j = 0; j < count; j++)
            {
                scores[j] = MathF.Exp(scores[j] - max);
                sum += scores[j];
            }

            for (var j = 0; j < count; j++)
            {
                scores[j] /= sum;
            }
        }

        Array.Clear(_attention);
        for (var j = 0; j < count; j++)
        {
            var row = RowOffset(pages, j, rowFloats) + kvOffset + hidden;
            for (var head = 0; head < heads; head++)
            {
                var weight = _scores[head * count + j];
                var value = data.AsSpan(row + head * headDim, headDim);
                var output = _attention.AsSpan(head * headDim, headDim);
                for (var d = 0; d < headDim; d++)
                {
                    output[d] += weight * value[d];
                }
            }
        }
    }

    private static int RowOffset(IReadOnlyList<int> pages, int position, int rowFloats) =>
        (pages[position / PagedKvCache.PageSize] * PagedKvCache.PageSize + position % PagedKvCache.PageSize) * rowFloats;

    private void Rotate(float[] vector, int position)
    {
        var headDim = _shape.HeadDim;
        var half = headDim / 2;
        var table = position * half;
        for (var head = 0; head < _shape.NumHeads; head++)
        {
            var offset = head * headDim;
            for (var i = 0; i < half; i++)
            {
                var (a, b) = (vector[offset + i], vector[offset + half + i]);
                var (cos, sin) = (_cos[table + i], _sin[table + i]);
                vector[offset + i] = a * cos - b * sin;
                vector[offset + half + i] = a * sin + b * cos;
            }
        }
    }

    private static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> gain, Span<float> output)
    {
        var scale = 1.0f / MathF.Sqrt(Dot(x, x) / x.Length + NormEpsilon);
        for (var i = 0; i < x.Length; i++)
        {
            output[i] = x[i] * scale * gain[i];
        }
    }

    private static void MatVec(ReadOnlySpan<float> matrix, ReadOnlySpan<float> vector, Span<float> output)
    {
        var columns = vector.Length;
        for (var row = 0; row < output.Length; row++)
        {
            output[row] = Dot(matrix.Slice(row * columns, columns), vector);
        }
    }

    private static void Add(Span<float> target, ReadOnlySpan<float> addend)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] += addend[i];
        }
    }

    /// <summary>A dot product with a fixed summation order (vector lanes, then lanes summed, then the tail).</summary>
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var i = 0;
        var sum = 0.0f;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var accumulator = Vector<float>.Zero;
            for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                accumulator += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
            }

            sum = Vector.Sum(accumulator);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
