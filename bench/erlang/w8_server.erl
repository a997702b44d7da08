%% bench/erlang/w8_server.erl: the gen_server of W8 (workloads.erl's w8_gen_server_call): answers every call with
%% {ok, Request}, as tools/workloads_otp.cpp's echo_server does.
-module(w8_server).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).

init([]) -> {ok, nostate}.
handle_call(Request, _From, State) -> {reply, {ok, Request}, State}.
handle_cast(_Message, State) -> {noreply, State}.
