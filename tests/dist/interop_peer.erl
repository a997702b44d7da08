%% tests/dist/interop_peer.erl: the Erlang side of dist_interop_test. Started as
%%   erl -sname erl_N -setcookie C -noshell -pa DIR -run interop_peer main CppNode
%% it prints one line per assertion, `ok <case>` or `fail <case> <what>`, then `done`, and halts with status
%% 0 only when every case passed. Every wait is bounded.
-module(interop_peer).
-export([main/1]).

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

collect(I, N) when I > N -> true;
collect(I, N) ->
    receive
        {echoed, {n, I}, _} -> collect(I + 1, N);
        {echoed, {n, J}, _} -> error({out_of_order, I, J})
    after ?WAIT -> error({missing, I})
    end.

echo() ->
    receive
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
