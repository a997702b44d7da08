%% bench/erlang/w9_sup.erl: the Erlang twin of beampp's W9 (tools/workloads_supervisor.cpp): a real OTP
%% one_for_one supervisor restarting a child that crashes at once, Restarts times (intensity above that); each
%% restart's latency runs from the crash to the new child running. The logger's level is none while it runs (the
%% supervisor's reports are dropped unformatted), as beampp's twin drops its reports.
-module(w9_sup).
-behaviour(supervisor).
-export([run/1, init/1, start_child/3]).

run(Restarts) ->
    logger:set_primary_config(level, none),
    process_flag(trap_exit, true),
    Times = {atomics:new(Restarts + 1, [{signed, true}]), atomics:new(Restarts + 1, [{signed, true}]),
             atomics:new(1, [{signed, true}])},
    {ok, Sup} = supervisor:start_link(?MODULE, {Restarts, self(), Times}),
    receive done -> ok end,
    exit(Sup, shutdown),
    receive {'EXIT', Sup, _} -> ok end,
    {Started, Crashed, _} = Times,
    Latency = lists:sort([(atomics:get(Started, I + 1) - atomics:get(Crashed, I)) / 1000
                          || I <- lists:seq(1, Restarts)]),
    At = fun(Q) -> lists:nth(1 + trunc(Q * (Restarts - 1)), Latency) end,
    [{p50_us, At(0.5)}, {p99_us, At(0.99)}].

init({Restarts, Bench, Times}) ->
    {ok, {#{strategy => one_for_one, intensity => Restarts + 1, period => 3600},
          [#{id => crasher, start => {?MODULE, start_child, [Restarts + 1, Bench, Times]}}]}}.

%% Generation G (1-based) of the child: notes when it runs, then crashes at once; the last says `done` and waits.
start_child(Last, Bench, {Started, Crashed, Generation}) ->
    G = atomics:add_get(Generation, 1, 1),
    {ok, spawn_link(fun() ->
                            atomics:put(Started, G, erlang:monotonic_time(nanosecond)),
                            case G of
                                Last -> Bench ! done, receive stop -> ok end;
                                _ -> atomics:put(Crashed, G, erlang:monotonic_time(nanosecond)), exit(crash)
                            end
                    end)}.
