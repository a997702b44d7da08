%% tests/dist/interop_peer.erl: the Erlang side of dist_interop_test. Started as
%%   erl -sname erl_N -setcookie C -noshell -pa DIR -run interop_peer main CppNode
%% it prints one line per assertion, `ok <case>` or `fail <case> <what>`, then `done`, and halts with status
%% 0 only when every case passed. Every wait is bounded. `-run interop_peer spawn_main CppNode` runs the
%% remote spawn and rpc cases the same way.
-module(interop_peer).
-export([main/1, spawn_main/1]).

-define(WAIT, 5000).

main([CppText]) ->
    Cpp = list_to_atom(CppText),
    register(erl_driver, self()),
    register(erl_echo, spawn(fun echo/0)),
    say("ready"),
    Results = [
        %% beampp dials us: {erl_driver, node()} ! {dialled, CppPid} from the C++ side.
        check(cpp_dials_erl, fun() ->
            receive {dialled, CppPid} when is_pid(CppPid) ->
                node(CppPid) =:= Cpp orelse error({wrong_node, node(CppPid)}),
                CppPid ! {erl_says, hi},
                put(cpp_test_pid, CppPid),
                true
            after 10000 -> error(no_dial)
            end
        end),
        check(cpp_reaches_erl_echo_by_name, fun() ->
            receive {echo_seen, from_cpp} -> true after ?WAIT -> error(no_echo) end
        end),
        check(hidden, fun() ->
            lists:member(Cpp, nodes(hidden)) andalso not lists:member(Cpp, nodes())
        end),
        check(reg_send_to_cpp, fun() ->
            {cpp_echo, Cpp} ! {self(), hello},
            receive {echoed, hello, P} when node(P) =:= Cpp -> put(cpp_echo_pid, P), true
            after ?WAIT -> error(no_reply) end
        end),
        check(pid_send_to_cpp, fun() ->
            P = get(cpp_echo_pid),
            P ! {self(), by_pid},
            receive {echoed, by_pid, P} -> true after ?WAIT -> error(no_reply) end
        end),
        check(terms_round_trip, fun() ->
            T = {[1, -1, 255, 256, -(1 bsl 31), 1 bsl 64, -(1 bsl 64)], 3.25, 'ünïcödé',
                 list_to_atom(lists:duplicate(255, $a)), list_to_tuple(lists:seq(1, 300)),
                 binary:copy(<<"x">>, 70000), <<1:3>>, "charlist", [a | b],
                 #{k => #{nested => [1, 2]}}, self(), make_ref(), fun lists:map/2},
            {cpp_echo, Cpp} ! {self(), T},
            receive {echoed, T2, _} -> T2 =:= T orelse error({differs, T2}) after ?WAIT -> error(no_reply) end
        end),
        check(unknown_name_dropped_connection_stays, fun() ->
            {no_such_name, Cpp} ! {self(), lost},
            {cpp_echo, Cpp} ! {self(), after_lost},
            receive
                {echoed, lost, _} -> error(delivered);
                {echoed, after_lost, _} -> lists:member(Cpp, nodes(hidden))
            after ?WAIT -> error(no_reply) end
        end),
        check(order_preserved_both_ways, fun() ->
            P = get(cpp_echo_pid),
            N = 2000,
            [P ! {self(), {n, I}} || I <- lists:seq(1, N)],
            collect(1, N)
        end),
        check(erl_links_cpp_exit_propagates, fun() ->
            process_flag(trap_exit, true),
            P = spawn_cpp(Cpp, waiter),
            link(P),
            P ! {exit_with, boom},
            receive {'EXIT', P, boom} -> true after ?WAIT -> error(no_exit) end
        end),
        check(cpp_links_erl_exit_propagates, fun() ->
            E = spawn(fun() -> receive die -> exit(boom) end end),
            {cpp_factory, Cpp} ! {self(), spawn_linker, E},
            receive {linked, _} -> ok after ?WAIT -> error(not_linked) end,
            E ! die,
            receive {got_exit, boom} -> true after ?WAIT -> error(no_exit) end
        end),
        check(link_to_dead_cpp_pid_gives_noproc, fun() ->
            P = spawn_cpp(Cpp, waiter),
            MRef = monitor(process, P),
            P ! {exit_with, normal},
            receive {'DOWN', MRef, process, P, normal} -> ok after ?WAIT -> error(no_down) end,
            link(P),
            receive {'EXIT', P, noproc} -> true after ?WAIT -> error(no_noproc) end
        end),
        check(exit_kill_kills_a_trapping_cpp_process, fun() ->
            P = spawn_cpp(Cpp, trapper),
            MRef = monitor(process, P),
            exit(P, kill),
            receive {'DOWN', MRef, process, P, killed} -> true after ?WAIT -> error(no_down) end
        end),
        check(exit2_is_trapped_as_a_message, fun() ->
            P = spawn_cpp(Cpp, trapper),
            exit(P, please),
            receive {trapped, please} -> true after ?WAIT -> error(not_trapped) end
        end),
        check(unlink_stops_propagation, fun() ->
            P = spawn_cpp(Cpp, waiter),
            link(P),
            unlink(P),
            MRef = monitor(process, P),
            P ! {exit_with, boom},
            receive {'DOWN', MRef, process, P, boom} -> ok after ?WAIT -> error(no_down) end,
            receive {'EXIT', P, _} -> error(exit_after_unlink) after 0 -> true end
        end),
        check(demonitor_means_no_down, fun() ->
            P = spawn_cpp(Cpp, waiter),
            MRef = monitor(process, P),
            true = demonitor(MRef),
            MRef2 = monitor(process, P),
            P ! {exit_with, boom},
            receive {'DOWN', MRef2, process, P, boom} -> ok after ?WAIT -> error(no_down) end,
            receive {'DOWN', MRef, _, _, _} -> error(down_after_demonitor) after 0 -> true end
        end),
        check(monitor_by_name, fun() ->
            MRef = monitor(process, {no_such_name, Cpp}),
            receive {'DOWN', MRef, process, {no_such_name, Cpp}, noproc} -> ok
            after ?WAIT -> error(no_noproc) end,
            P = spawn_cpp(Cpp, named),
            MRef2 = monitor(process, {cpp_named, Cpp}),
            P ! {exit_with, bye},
            receive {'DOWN', MRef2, process, {cpp_named, Cpp}, bye} -> true after ?WAIT -> error(no_down) end
        end),
        check(cpp_monitors_erl, fun() ->
            E = spawn(fun() -> receive die -> exit(bye) end end),
            {cpp_factory, Cpp} ! {self(), spawn_monitor, E},
            receive {monitoring, _} -> ok after ?WAIT -> error(not_monitoring) end,
            E ! die,
            receive {got_down, bye} -> true after ?WAIT -> error(no_down) end
        end),
        check(cpp_monitors_erl_by_name, fun() ->
            E = spawn(fun() -> receive die -> exit(bye) end end),
            register(erl_named, E),
            {cpp_factory, Cpp} ! {self(), monitor_name, erl_named},
            receive {monitoring, _} -> ok after ?WAIT -> error(not_monitoring) end,
            E ! die,
            Me = node(),
            receive {got_down, bye, {erl_named, Me}} -> true after ?WAIT -> error(no_down) end
        end),
        check(noconnection_on_disconnect_both_ways, fun() ->
            P = spawn_cpp(Cpp, waiter),
            link(P),
            MRef = monitor(process, P),
            E = spawn(fun() -> receive die -> ok end end),
            {cpp_factory, Cpp} ! {self(), spawn_linker_monitor, E},
            receive {linked, _} -> ok after ?WAIT -> error(not_linked) end,
            true = erlang:disconnect_node(Cpp),
            receive {'EXIT', P, noconnection} -> ok after ?WAIT -> error(no_exit) end,
            receive {'DOWN', MRef, process, P, noconnection} -> ok after ?WAIT -> error(no_down) end,
            receive {got_exit, noconnection} -> ok after ?WAIT -> error(cpp_no_exit) end,
            receive {got_down, noconnection} -> true after ?WAIT -> error(cpp_no_down) end
        end),
        check(gen_server_call_into_cpp, fun() ->
            {pong, hello} =:= gen_server:call({cpp_server, Cpp}, hello, ?WAIT)
        end),
        check(cpp_calls_erl_gen_server, fun() ->
            {cpp_factory, Cpp} ! {self(), call_me, whereis(erl_echo)},
            receive {call_result, {erl_pong, ping}} -> true after ?WAIT -> error(no_result) end
        end),
        check(cpp_calls_erl_by_name, fun() ->
            {cpp_factory, Cpp} ! {self(), call_name, erl_echo},
            receive {call_result, {erl_pong, ping}} -> true after ?WAIT -> error(no_result) end
        end),
        check(cpp_call_to_unknown_name_is_noproc, fun() ->
            {cpp_factory, Cpp} ! {self(), call_name, no_such_server},
            receive {call_result, {noproc, _}} -> true after ?WAIT -> error(no_result) end
        end),
        check(ping_pong, fun() -> pong =:= net_adm:ping(Cpp) end),
        check(reconnect_after_disconnect, fun() ->
            true = erlang:disconnect_node(Cpp),
            pong = net_adm:ping(Cpp),
            {cpp_echo, Cpp} ! {self(), again},
            receive {echoed, again, _} -> true after ?WAIT -> error(no_reply) end
        end),
        check(cpp_pid_of_old_connection_still_reachable, fun() ->
            P = get(cpp_test_pid),
            P ! {erl_says, bye},
            receive {cpp_ack, bye} -> true after ?WAIT -> error(no_ack) end
        end)
    ],
    say("done"),
    erlang:halt(case lists:all(fun(R) -> R end, Results) of true -> 0; false -> 1 end).

spawn_main([CppText]) ->
    Cpp = list_to_atom(CppText),
    process_flag(trap_exit, true),
    say("ready"),
    Results = [
        check(spawn_request_monitor_link_message_then_normal, fun() ->
            R = spawn_request(Cpp, cpp_spawn, reporter, [self(), hello], [monitor, link]),
            P = receive {spawn_reply, R, ok, Pid} -> Pid after ?WAIT -> error(no_spawn_reply) end,
            node(P) =:= Cpp orelse error({wrong_node, P}),
            receive {reported, hello, P} -> ok after ?WAIT -> error(no_message) end,
            receive {'DOWN', R, process, P, normal} -> ok after ?WAIT -> error(no_down) end,
            receive {'EXIT', P, normal} -> true after ?WAIT -> error(no_exit) end
        end),
        check(spawned_function_exiting_at_once_still_signals, fun() ->
            R = spawn_request(Cpp, cpp_spawn, quitter, [boom], [monitor, link]),
            P = receive {spawn_reply, R, ok, Pid} -> Pid after ?WAIT -> error(no_spawn_reply) end,
            receive {'DOWN', R, process, P, boom} -> ok after ?WAIT -> error(no_down) end,
            receive {'EXIT', P, boom} -> true after ?WAIT -> error(no_exit) end
        end),
        check(spawn_4_from_erl, fun() ->
            P = spawn(Cpp, cpp_spawn, reporter, [self(), via_spawn4]),
            receive {reported, via_spawn4, P} -> true after ?WAIT -> error(no_message) end
        end),
        check(unknown_mfa_exits_undef, fun() ->
            R = spawn_request(Cpp, no_such_mod, no_such_fun, [1, two], [monitor]),
            P = receive {spawn_reply, R, ok, Pid} -> Pid after ?WAIT -> error(no_spawn_reply) end,
            receive
                {'DOWN', R, process, P, {undef, [{no_such_mod, no_such_fun, [1, two], []}]}} -> true
            after ?WAIT -> error(no_down)
            end
        end),
        check(rpc_call_returns_cpp_result, fun() ->
            3 =:= rpc:call(Cpp, cpp_calc, add, [1, 2]) orelse error(rpc:call(Cpp, cpp_calc, add, [1, 2]))
        end),
        check(erpc_call_returns_cpp_task_result, fun() ->
            {x, x} =:= erpc:call(Cpp, cpp_calc, twice, [x], ?WAIT)
        end),
        check(erpc_call_cpp_error, fun() ->
            try erpc:call(Cpp, cpp_calc, fail, [], ?WAIT) of V -> error({returned, V})
            catch error:{exception, my_reason, [{cpp_calc, fail, 0, []}]} -> true
            end
        end),
        check(rpc_call_cpp_error_is_badrpc, fun() ->
            {badrpc, {'EXIT', {my_reason, [{cpp_calc, fail, 0, []}]}}} =:= rpc:call(Cpp, cpp_calc, fail, [])
        end),
        check(erpc_call_cpp_exit, fun() ->
            try erpc:call(Cpp, cpp_calc, quit, [], ?WAIT) of V -> error({returned, V})
            catch exit:{exception, bye} -> true
            end
        end),
        check(rpc_call_cpp_exit_is_badrpc, fun() ->
            {badrpc, {'EXIT', bye}} =:= rpc:call(Cpp, cpp_calc, quit, [])
        end),
        check(rpc_call_unknown_function_as_otp, fun() ->
            Here = rpc:call(node(), cpp_calc, nope, [1]),
            There = rpc:call(Cpp, cpp_calc, nope, [1]),
            {badrpc, {'EXIT', {undef, [{cpp_calc, nope, [1], []} | _]}}} = Here,
            There =:= {badrpc, {'EXIT', {undef, [{cpp_calc, nope, [1], []}]}}} orelse error({There, Here})
        end),
        check(erpc_call_unknown_function_as_otp, fun() ->
            try erpc:call(Cpp, cpp_calc, nope, [1], ?WAIT) of V -> error({returned, V})
            catch error:{exception, undef, [{cpp_calc, nope, [1], []}]} -> true
            end
        end),
        check(erpc_call_of_a_process_body_ends_as_signal, fun() ->
            try erpc:call(Cpp, cpp_spawn, quitter, [why], ?WAIT) of V -> error({returned, V})
            catch exit:{signal, why} -> true
            end
        end),
        check(erpc_cast_runs_the_cpp_function, fun() ->
            ok = erpc:cast(Cpp, cpp_spawn, reporter, [self(), cast]),
            receive {reported, cast, _} -> true after ?WAIT -> error(no_message) end
        end),
        check(rpc_cast_runs_the_cpp_function, fun() ->
            true = register(cast_sink, self()),
            true = rpc:cast(Cpp, cpp_calc, tell, [cast_sink, node(), rpc_cast]),
            Told = receive {told, rpc_cast} -> true after ?WAIT -> error(no_message) end,
            true = unregister(cast_sink),
            Told
        end),
        check(cpp_spawn_request_on_erl_exit_gives_down, fun() ->
            {cpp_spawner, Cpp} ! {self(), exit_on_erl, farewell},
            receive {exit_on_erl, P, farewell} when node(P) =:= node() -> true
            after ?WAIT -> error(no_report)
            end
        end),
        check(cpp_spawn_request_on_erl_link_monitor_sleep, fun() ->
            {cpp_spawner, Cpp} ! {self(), sleep_on_erl},
            receive {sleep_on_erl, P, normal, normal} when node(P) =:= node() -> true
            after ?WAIT -> error(no_report)
            end
        end),
        check(cpp_spawn_request_to_unknown_node_noconnection, fun() ->
            {cpp_spawner, Cpp} ! {self(), spawn_on_nowhere},
            receive {spawn_on_nowhere, noconnection} -> true after 10000 -> error(no_report) end
        end),
        check(connection_still_up, fun() -> lists:member(Cpp, nodes(hidden)) end)
    ],
    say("done"),
    erlang:halt(case lists:all(fun(R) -> R end, Results) of true -> 0; false -> 1 end).

spawn_cpp(Cpp, Kind) ->
    {cpp_factory, Cpp} ! {self(), spawn, Kind},
    receive {spawned, P} -> P after ?WAIT -> error(no_spawn) end.

collect(I, N) when I > N -> true;
collect(I, N) ->
    receive
        {echoed, {n, I}, _} -> collect(I + 1, N);
        {echoed, {n, J}, _} -> error({out_of_order, I, J})
    after ?WAIT -> error({missing, I})
    end.

echo() ->
    receive
        {'$gen_call', From, Request} ->
            gen:reply(From, {erl_pong, Request});
        {From, Msg} when is_pid(From) ->
            From ! {erl_echoed, Msg},
            erl_driver ! {echo_seen, Msg};
        _ -> ok
    end,
    echo().

check(Name, Fun) ->
    try Fun() of
        true -> say("ok ~s", [Name]), true;
        Other -> say("fail ~s ~0p", [Name, Other]), false
    catch
        Class:Reason -> say("fail ~s ~0p:~0p", [Name, Class, Reason]), false
    end.

say(Text) -> say(Text, []).
say(Format, Args) -> io:format(Format ++ "~n", Args).
