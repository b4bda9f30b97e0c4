using Microsoft.ML.Tokenizers;
using MlcAspire.ReferenceEngine.Cli;
using MlcAspire.ReferenceEngine.KvCache;
using MlcAspire.ReferenceEngine.Model;
using MlcAspire.ReferenceEngine.Telemetry;
using MlcAspire.ReferenceEngine.Transfer;

namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>The one loop that owns the KV cache and the model; every request's state is touched only here.</summary>
/// <remarks>
/// Steps of one turn:
/// 1. Drain the mailbox: submissions (ordinary, or a MicroServing call, <see cref="DisaggregationPaths"/>) and aborts.
/// 2. Reserve the KV slots of pending <c>prep_recv</c> windows that now fit (<see cref="DisaggregationPaths.ReservePendingReceives"/>).
/// 3. Admit waiting requests while slots and pages allow (<see cref="EngineStep"/>).
/// 4. Advance every running choice by a prefill chunk or a decode token, sampling where the prompt is done; preempt
///    the newest request when pages run out.
/// 5. Let the step's time pass, then send each request's new text, complete finished ones, and start remote_send
///    pushes whose window is computed.
/// 6. Publish the statistics <c>/metrics</c> reads; wait for the mailbox when nothing runs.
/// A step that throws is a bug: every request in flight fails with an error instead of hanging, and the loop goes on.
/// </remarks>
internal sealed class EngineLoop : BackgroundService
{
    private readonly EngineOptions _options;
    private readonly EngineMailbox _mailbox;
    private readonly EngineLimits _limits;
    private readonly PagedKvCache _cache;
    private readonly RadixPrefixCache? _prefixCache;
    private readonly RequestTable _requests;
    private readonly DisaggregationPaths _disaggregation;
    private readonly EngineStep _step;
    private readonly ILogger<EngineLoop> _logger;
    private long _requestsTotal;

    public EngineLoop(
        EngineOptions options,
        EngineMailbox mailbox,
        EngineLimits limits,
        PagedKvCache cache,
        IModelRunner model,
        Tokenizer tokenizer,
        KvSender sender,
        TimeProvider timeProvider,
        ILogger<EngineLoop> logger)
    {
        (_options, _mailbox, _limits, _cache, _logger) = (options, mailbox, limits, cache, logger);
        _prefixCache = limits.PrefixCacheEnabled ? new RadixPrefixCache(cache) : null;
        _requests = new RequestTable(cache, _prefixCache, tokenizer, timeProvider, logger);
        _disaggregation = new DisaggregationPaths(cache, _prefixCache, sender, _requests, timeProvider, logger);
        _step = new EngineStep(limits, cache, _prefixCache, model, tokenizer, _requests, _disaggregation, timeProvider, logger);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's start-up path before the first (possibly long) step.
        await Task.Yield();
        EngineLog.EngineStarted(_logger, _options.Model, _options.Device, _options.Mode, _options.PrefixCacheMode, _limits.KvPages, _limits.MaxNumSequence);
        PublishStats();
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            try
            {
                // :: Step 1
                while (_mailbox.Reader.TryRead(out var command))
                {
                    Handle(command);
                }

                worked = _step.Run();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug in a step must not leave clients hanging or stop the engine: fail what was in flight.
                EngineLog.StepFailed(_logger, ex);
                _requests.FailAll("The engine failed while serving this request.");
            }

            // :: Step 6
            PublishStats();
            if (!worked)
            {
                await _mailbox.Reader.WaitToReadAsync(stoppingToken);
            }
        }
    }

    private void Handle(EngineCommand command)
    {
        switch (command)
        {
            case SubmitCommand { Request: var request }:
                Submit(request);
                break;
            case AbortCommand { RequestId: var id, Events: var events } when _requests.Live.TryGetValue(id, out var state) && state.Events == events:
                EngineLog.RequestAborted(_logger, id);
                _requests.Drop(state);
                break;
        }
    }

    private void Submit(EngineRequest request)
    {
        _requestsTotal++;
        if (request.Aborted.IsCancellationRequested)
        {
            request.Events.TryComplete();
            return;
        }

        if (request.Kind == RequestKind.StartGeneration)
        {
            _disaggregation.StartGeneration(request);
            return;
        }

        if (_requests.Live.ContainsKey(request.Id))
        {
            _requests.Reject(request, $"The request id \"{request.Id}\" is already in use by a request in flight.");
            return;
        }

        switch (request.Kind)
        {
            case RequestKind.Generate:
                _requests.Enqueue(_requests.Create(request, request.Prompt, request.Settings.N));
                break;
            case RequestKind.PrepareReceive:
                _disaggregation.SubmitPrepareReceive(request);
                break;
            case RequestKind.RemoteSend:
                _disaggregation.SubmitRemoteSend(request);
                break;
        }
    }

    private void PublishStats()
    {
        _prefixCache?.RecountEvictable();
        var cached = _prefixCache?.EvictablePages ?? 0;
        _mailbox.Publish(new EngineStats(
            _cache.PageCount,
            _cache.FreePages,
            _cache.PageCount - _cache.FreePages - cached,
            cached,
            _requests.Running.Count,
            _requests.Waiting.Count,
            _requests.Live.Values.Count(state => state.Phase == RequestPhase.Parked),
            _requests.PendingReceives.Count,
            _step.PrefillTokensTotal,
            _step.DecodeTokensTotal,
            _step.PreemptionsTotal,
            _requestsTotal));
    }
}
