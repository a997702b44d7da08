%% bench/erlang/workloads.erl: the Erlang twins of beampp's process benchmarks (tools/workloads.cpp), same
%% workloads, same keys. Run: erl +P 134217727 -noshell -pa DIR -run workloads main w1_spawn_exit n=1000000
%% Prints: RESULT system=erlang schedulers=S workload=... key=value ...
-module(workloads).
-export([main/1]).

main([Name | Args]) ->
    %% The parent collects up to N messages while it spawns: off_heap keeps them out of its garbage collections.
    process_flag(message_queue_data, off_heap),
    Params = maps:merge(defaults(list_to_atom(Name)), parse(Args)),
    Results = run(list_to_atom(Name), Params),
    Line = io_lib:format("RESULT system=erlang schedulers=~b workload=~s~s~s~n",
                         [erlang:system_info(schedulers_online), Name, kv(lists:sort(maps:to_list(Params))),
                          kv(Results)]),
    io:put_chars(Line),
    halt(0).

defaults(w1_spawn_exit) -> #{n => 1000000};
defaults(w2_idle_memory) -> #{n => 1000000};
defaults(w3_ring) -> #{procs => 10000, hops => 1000000};
defaults(w3_pingpong) -> #{round_trips => 1000000};
defaults(w4_skynet) -> #{leaves => 1000000};
defaults(w5_fan_in) -> #{senders => 4, per_sender => 2500000};
defaults(w6_fairness) -> #{hogs => 2, window_ms => 5000};
defaults(w7_link_chain) -> #{procs => 100000};
defaults(w8_gen_server_call) -> #{calls => 1000000};
defaults(w9_supervisor_restart) -> #{restarts => 100000};
defaults(w10_monitor_down) -> #{monitors => 1000000};
defaults(w13_blocking_neighbours) -> #{blockers => 8, sleep_ms => 100, window_ms => 2000}.

parse(Args) ->
    maps:from_list([begin [K, V] = string:split(A, "="), {list_to_atom(K), list_to_integer(V)} end || A <- Args]).

kv(Pairs) -> [io_lib:format(" ~s=~s", [K, fmt(V)]) || {K, V} <- Pairs].
fmt({Decimals, V}) -> float_to_list(V, [{decimals, Decimals}]);
fmt(V) when is_float(V) -> float_to_list(V, [{decimals, 1}]);
fmt(V) when is_integer(V) -> integer_to_list(V).

now_ns() -> erlang:monotonic_time(nanosecond).

%% Spawned with message_queue_data=off_heap, as the issue's reference figures were measured.
spawn_off(F) -> spawn_opt(F, [{message_queue_data, off_heap}]).

run(w1_spawn_exit, #{n := N}) ->
    Parent = self(),
    T0 = now_ns(),
    [spawn_off(fun() -> Parent ! done end) || _ <- lists:seq(1, N)],
    [receive done -> ok end || _ <- lists:seq(1, N)],
    [{ns_per_proc, (now_ns() - T0) / N}];
run(w2_idle_memory, #{n := N}) ->
    Parent = self(),
    erlang:garbage_collect(),
    Before = rss(),
    T0 = now_ns(),
    spawn_idle(Parent, N),
    wait_n(ready, N),
    Ns = now_ns() - T0,
    [{rss_bytes_per_proc, (rss() - Before) / N}, {ns_per_spawn, Ns / N}];
run(w3_ring, #{procs := P, hops := H}) ->
    Next = lists:foldl(fun(_, Nx) -> spawn_off(fun() -> ring(Nx) end) end, self(), lists:seq(2, P)),
    T0 = now_ns(),
    Next ! H,
    ring_head(Next),
    Ns = now_ns() - T0,
    Next ! -1,
    [{ns_per_hop, Ns / H}];
run(w3_pingpong, #{round_trips := R}) ->
    Ponger = spawn_off(fun pong/0),
    T0 = now_ns(),
    ping(Ponger, R),
    Ns = now_ns() - T0,
    Ponger ! stop,
    [{ns_per_round_trip, Ns / R}];
run(w4_skynet, #{leaves := L}) ->
    T0 = now_ns(),
    Self = self(),
    spawn_off(fun() -> skynet(Self, 0, L) end),
    Sum = receive S -> S end,
    [{sum, Sum}, {total_ms, (now_ns() - T0) / 1.0e6}];
run(w5_fan_in, #{senders := S, per_sender := P}) ->
    Sink = self(),
    T0 = now_ns(),
    [spawn_off(fun() -> send_n(Sink, P) end) || _ <- lists:seq(1, S)],
    count(S * P),
    [{msgs_per_sec, S * P / ((now_ns() - T0) / 1.0e9)}];
run(w6_fairness, #{hogs := H, window_ms := W}) ->
    Stop = atomics:new(1, []),
    [spawn_off(fun() -> hog(Stop) end) || _ <- lists:seq(1, H)],
    Ponger = spawn_off(fun pong/0),
    End = now_ns() + W * 1000000,
    Trips = lists:sort(timed_pings(Ponger, End, now_ns(), [])),
    atomics:put(Stop, 1, 1),
    Ponger ! stop,
    N = length(Trips),
    At = fun(Q) -> lists:nth(max(1, round(Q * N)), Trips) / 1000 end,
    [{round_trips, N}, {p50_us, At(0.5)}, {p99_us, At(0.99)}, {max_us, lists:last(Trips) / 1000}];
run(w7_link_chain, #{procs := P}) ->
    process_flag(trap_exit, true),
    Tail = self(),
    Head = spawn_off(fun() -> chain_link(Tail, P - 1) end),
    receive ready -> ok end,
    T0 = now_ns(),
    Head ! go,
    receive {'EXIT', _, boom} -> ok end,
    [{total_ms, (now_ns() - T0) / 1.0e6}];
run(w8_gen_server_call, #{calls := C}) ->
    {ok, Server} = gen_server:start_link(w8_server, [], []),
    T0 = now_ns(),
    call_n(Server, C),
    Ns = now_ns() - T0,
    gen_server:stop(Server),
    [{ns_per_call, Ns / C}];
run(w9_supervisor_restart, #{restarts := R}) ->
    w9_sup:run(R);
run(w10_monitor_down, #{monitors := M}) ->
    [{ns_per_monitor, monitor_batches(M, 0) / M}];
%% W13's blocking call. In Erlang a process that must block calls something that runs on a dirty I/O scheduler
%% (10 by default, as beampp's dirty_io_threads); file I/O is such a call since OTP 21. So each blocker reads,
%% one byte at a time, a FIFO that a shell loop feeds one byte every sleep_ms: each file:read/2 holds a dirty
%% I/O scheduler in read(2) for sleep_ms, as beampp's blocking_call(sleep) holds a dirty thread. Not chosen:
%% timer:sleep/1 blocks no thread at all (a receive with a timeout), and os:cmd("sleep 0.1") waits in a receive
%% on a port while it forks a shell and a sleep per call: neither is a blocking call.
run(w13_blocking_neighbours, #{blockers := B, sleep_ms := S, window_ms := W}) ->
    Alone = pingpong_rate(W),
    Dir = string:trim(os:cmd("mktemp -d")),
    Fifos = [filename:join(Dir, integer_to_list(I)) || I <- lists:seq(1, B)],
    [[] = os:cmd("mkfifo " ++ F) || F <- Fifos],
    %% The loop ends at the first failed write: when the reader has closed the FIFO.
    Feed = fun(F) -> io_lib:format("while sleep ~.3f && printf x; do :; done > ~s 2>/dev/null", [S / 1000, F]) end,
    Feeders = [open_port({spawn_executable, "/bin/sh"}, [{args, ["-c", Feed(F)]}]) || F <- Fifos],
    Stop = atomics:new(1, []),
    Calls = atomics:new(1, []),
    Self = self(),
    [spawn_off(fun() -> fifo_reader(F, Stop, Calls, Self) end) || F <- Fifos],
    Beside = pingpong_rate(W),
    atomics:put(Stop, 1, 1),
    wait_n(done, B),
    [catch port_close(P) || P <- Feeders],  % a feeder whose write failed has closed its port already
    os:cmd("rm -rf " ++ Dir),
    [{round_trips_per_sec, {0, Beside}}, {baseline_round_trips_per_sec, {0, Alone}},
     {ratio, {3, Beside / Alone}}, {blocking_calls, atomics:get(Calls, 1)}].

%% Round trips per second of a fresh ping-pong pair over W ms, the clock read every 1,024 round trips.
pingpong_rate(W) ->
    Ponger = spawn_off(fun pong/0),
    T0 = now_ns(),
    N = count_pings(Ponger, T0 + W * 1000000, 0),
    Rate = N / ((now_ns() - T0) / 1.0e9),
    Ponger ! stop,
    Rate.

count_pings(P, End, N) ->
    ping(P, 1024),
    case now_ns() >= End of
        true -> N + 1024;
        false -> count_pings(P, End, N + 1024)
    end.

%% Reads Fifo a byte at a time (each read blocks a dirty I/O scheduler) until Stop is set; closing it ends
%% the feeding shell (SIGPIPE).
fifo_reader(Fifo, Stop, Calls, Parent) ->
    {ok, Fd} = file:open(Fifo, [read, raw, binary]),
    read_until_stopped(Fd, Stop, Calls),
    ok = file:close(Fd),
    Parent ! done.

read_until_stopped(Fd, Stop, Calls) ->
    case atomics:get(Stop, 1) of
        0 -> {ok, _} = file:read(Fd, 1), atomics:add(Calls, 1, 1), read_until_stopped(Fd, Stop, Calls);
        _ -> ok
    end.

rss() ->
    {ok, Statm} = file:read_file("/proc/self/statm"),
    [_, Resident | _] = string:split(binary_to_list(Statm), " ", all),
    list_to_integer(Resident) * 4096.

spawn_idle(_, 0) -> ok;
spawn_idle(Parent, N) -> spawn_off(fun() -> Parent ! ready, receive _ -> ok end end), spawn_idle(Parent, N - 1).

wait_n(_, 0) -> ok;
wait_n(M, N) -> receive M -> wait_n(M, N - 1) end.

ring(Next) -> receive N when N =< 0 -> Next ! N - 1; N -> Next ! N - 1, ring(Next) end.
ring_head(Next) -> receive N when N =< 0 -> ok; N -> Next ! N - 1, ring_head(Next) end.

call_n(_, 0) -> ok;
call_n(Server, N) -> {ok, N} = gen_server:call(Server, N), call_n(Server, N - 1).

pong() -> receive {ping, From} -> From ! pong, pong(); stop -> ok end.
ping(_, 0) -> ok;
ping(P, N) -> P ! {ping, self()}, receive pong -> ping(P, N - 1) end.

skynet(Parent, Num, 1) -> Parent ! Num;
skynet(Parent, Num, Size) ->
    Self = self(),
    Child = Size div 10,
    [spawn_off(fun() -> skynet(Self, Num + I * Child, Child) end) || I <- lists:seq(0, 9)],
    Parent ! sum_children(10, 0).
sum_children(0, Acc) -> Acc;
sum_children(K, Acc) -> receive S -> sum_children(K - 1, Acc + S) end.

send_n(_, 0) -> ok;
send_n(Sink, N) -> Sink ! N, send_n(Sink, N - 1).
count(0) -> ok;
count(N) -> receive _ -> count(N - 1) end.

hog(Stop) -> case atomics:get(Stop, 1) of 0 -> hog(Stop); _ -> ok end.

timed_pings(P, End, T, Acc) ->
    P ! {ping, self()},
    receive pong -> ok end,
    Now = now_ns(),
    case Now >= End of
        true -> [Now - T | Acc];
        false -> timed_pings(P, End, Now, [Now - T | Acc])
    end.

%% W7: each link spawns the next linked; the last links to the tail and says `ready`; only the head gets `go`.
chain_link(Tail, 0) -> link(Tail), Tail ! ready, chain_wait();
chain_link(Tail, N) -> spawn_opt(fun() -> chain_link(Tail, N - 1) end, [link, {message_queue_data, off_heap}]), chain_wait().
chain_wait() -> receive go -> exit(boom) end.

%% W10: in batches of 10,000 idle processes (spawning not timed): monitor each, stop it, receive every DOWN.
monitor_batches(Left, Ns) when Left =< 0 -> Ns;
monitor_batches(Left, Ns) ->
    N = min(10000, Left),
    Targets = [spawn_off(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, N)],
    T0 = now_ns(),
    [begin erlang:monitor(process, T), T ! stop end || T <- Targets],
    wait_downs(N),
    monitor_batches(Left - N, Ns + now_ns() - T0).
wait_downs(0) -> ok;
wait_downs(N) -> receive {'DOWN', _, process, _, normal} -> wait_downs(N - 1) end.
